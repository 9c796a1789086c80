//! ECMA-119 + Rock Ridge + El Torito writer, reader and checker (filled by a later issue).
#![deny(missing_docs)]
