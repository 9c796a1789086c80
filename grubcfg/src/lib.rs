//! GRUB legacy `menu.lst` model, parser and renderer (filled by a later issue).
#![deny(missing_docs)]
