//! ISO checker (in progress).
