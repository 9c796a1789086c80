//! GRUB legacy `menu.lst` in the illumos dialect: a lossless model, a
//! parser, a renderer from a high-level description, `$ISADIR` expansion and
//! a lint against the tree that goes on the boot media.
//!
//! The reference is the illumos fork of GRUB 0.97 (illumos-gate
//! `usr/src/grub/grub-0.97/stage2/`): `get_line_from_config()` and `cmain()`
//! in stage2.c (how the file is read and split into entries), `find_command()`
//! and `skip_to()` in cmdline.c (command names and separators), the
//! `builtin_table[]` in builtins.c (which commands exist and where they may
//! appear) and expand.c (`$ISADIR`). The illumos additions are `kernel$` and
//! `module$` (variable expansion), `findroot`, `bootfs` and `min_mem64`.
//!
//! ```
//! use grubcfg::{lint, parse, Arch, MenuSpec, Severity};
//!
//! // Real menus round-trip byte for byte.
//! let text = "default=0\r\ntimeout 10\r\ntitle\tillumos\r\n  kernel$ /platform/i86pc/kernel/$ISADIR/unix\r\n";
//! let menu = parse(text).unwrap();
//! assert_eq!(menu.render(), text);
//! assert_eq!(menu.timeout(), Some(10));
//! assert_eq!(menu.entries().next().unwrap().arches(), [Arch::Amd64, Arch::I386]);
//!
//! // Rendered menus parse back to the same model.
//! let spec = MenuSpec::default();
//! let rendered = spec.to_menu().unwrap();
//! assert_eq!(parse(&rendered.render()).unwrap(), rendered);
//!
//! // The lint knows the 32-bit/$ISADIR trap.
//! let tree = ["/platform/i86pc/kernel/unix", "/platform/i86pc/boot_archive"];
//! let diags = lint(&rendered, &|p| tree.contains(&p));
//! assert_eq!(diags[0].severity, Severity::Error);
//! ```
#![deny(missing_docs)]

mod builtins;
mod check;
mod isa;
mod lex;
mod model;
mod parse;
mod spec;

pub use builtins::{builtin, Builtin, BUILTINS};
pub use check::{has_errors, lint, Check, Diagnostic, Severity};
pub use isa::{
    expand, expands_variables, file_argument, is_blocklist, kernel_arches, split_device, Arch,
    ParseArchError,
};
pub use lex::GRUB_MAX_LINE;
pub use model::{
    render, Blank, Command, Comment, DefaultEntry, Entry, Eol, Item, Line, Menu, ModelError,
};
pub use parse::{parse, parse_bytes, parse_with_diagnostics, ParseError};
pub use spec::{
    Console, Dialect, MenuSpec, ParseNameError, SpecError, BOOT_ARCHIVE, HARD_DISK_TITLE,
    KERNEL_AMD64, KERNEL_I386, KERNEL_ISADIR,
};
