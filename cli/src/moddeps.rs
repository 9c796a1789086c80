//! Kernel module dependencies, read the way illumos krtld reads them.
//!
//! An illumos kernel module is an ELF relocatable object (`ET_REL`) under
//! `kernel/`, `usr/kernel/` or `platform/<platform>/kernel/`; 32-bit (i386)
//! modules sit in the module directory itself (`kernel/drv/sd`), 64-bit
//! (amd64) ones in an `amd64/` subdirectory next to them
//! (`kernel/drv/amd64/sd`). Both are module `drv/sd`.
//!
//! krtld (`usr/src/uts/common/krtld/kobj.c`) takes a module's dependencies
//! from one of two places, and so does [`module_deps`]:
//!
//! 1. **`.dynamic` (modern form).** `do_dynamic` looks for the one
//!    `SHT_DYNAMIC` section of the object (two are an error), requires its
//!    `sh_link` to name an `SHT_STRTAB` section, and `process_dynamic` joins
//!    the strings of its `DT_NEEDED` entries (up to `DT_NULL`) with spaces.
//!    This is what `ld -r -Nmisc/scsi -Nmisc/cmlb` puts into a module.
//! 2. **`_depends_on` (older form).** Only when the `.dynamic` section gave no
//!    `DT_NEEDED` entry, `depends_on` looks up the symbol `_depends_on` (not
//!    `STT_FILE`, not undefined, not common) and copies the NUL-terminated
//!    string at its address, after checking that the address lies in the
//!    loaded module and that the symbol's last byte (`st_size - 1`) is NUL.
//!
//! `do_dependents` then splits the string at spaces and tabs into names such
//! as `misc/scsi` or `drv/ip` (at most 30 characters each: `MODMAXNAMELEN` is
//! 32 and longer names are refused) and loads each one along the module path.
//! On i86pc `mach_modpath` makes that path `platform/i86pc/kernel` (the
//! directory of the booted `unix`, with a trailing `amd64` removed) followed
//! by `MOD_DEFPATH`, `kernel usr/kernel`. `kobj_open_path` tries the
//! directories in order; a 64-bit kernel (built with `MODDIR_SUFFIX` =
//! `amd64`) first tries every directory with `amd64/` inserted before the
//! file name (`kernel/misc/amd64/scsi`) and then every directory without it.
//! The first file that opens is the one loaded: `kobj_load_module` then
//! rejects it unless it is ELF for the running ISA (`elf_mach_ok`) and
//! `ET_REL`, so a 32-bit file found first by a 64-bit kernel is an error, not
//! a reason to look further.
//!
//! [`scan`] applies those rules to a [`fstree::Tree`] and returns a
//! [`ModuleGraph`]; [`check`] turns it into a [`DepReport`] of broken
//! dependencies and of modules nothing depends on. [`testkit`] synthesizes
//! modules in both forms for tests and demos.

use fstree::{escape_bytes, Data, Kind, NodeId, Tree, ROOT};
use object::elf;
use object::read::elf::{Dyn as _, FileHeader, SectionHeader as _, SectionTable, Sym as _};
use object::{Endianness, SectionIndex};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

pub mod testkit;

/// Largest file [`scan`] reads as a kernel module (64 MiB); larger files
/// under the module directories are skipped as [`ModDepsError::TooLarge`].
pub const MAX_MODULE_SIZE: u64 = 64 << 20;

/// Longest dependency name krtld accepts: `do_dependents` copies names into a
/// `MODMAXNAMELEN` (32) buffer and refuses any of 31 characters or more.
pub const MAX_NAME_LEN: usize = 30;

/// The module directories of the module path after the platform directory
/// (`MOD_DEFPATH` in `usr/src/uts/common/sys/modctl.h`).
pub const DEFAULT_MODULE_DIRS: [&str; 2] = ["kernel", "usr/kernel"];

/// The 64-bit module subdirectory (`MODDIR_SUFFIX` of the amd64 kernel).
pub const AMD64_DIR: &str = "amd64";

/// Symbol naming the older form of a module's dependency string.
pub const DEPENDS_ON_SYMBOL: &str = "_depends_on";

const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];
const SYMLINK_HOPS: usize = 40;

/// The instruction set a kernel module is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isa {
    /// 32-bit x86: `ELFCLASS32`, `EM_386`; loaded by the 32-bit kernel from
    /// the module directories themselves.
    I386,
    /// 64-bit x86: `ELFCLASS64`, `EM_X86_64`; loaded by the 64-bit kernel,
    /// from `amd64/` subdirectories first.
    Amd64,
}

impl Isa {
    /// The name illumos uses for the ISA: `i386` or `amd64`.
    pub fn name(self) -> &'static str {
        match self {
            Isa::I386 => "i386",
            Isa::Amd64 => "amd64",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a module's dependency string came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepForm {
    /// `DT_NEEDED` entries of a `.dynamic` section (`ld -r -N name`).
    Dynamic,
    /// The string the `_depends_on` symbol points to.
    DependsOn,
    /// Neither: the module declares no dependencies.
    None,
}

impl fmt::Display for DepForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DepForm::Dynamic => "DT_NEEDED",
            DepForm::DependsOn => DEPENDS_ON_SYMBOL,
            DepForm::None => "none",
        })
    }
}

/// What [`module_deps`] read from one kernel module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleInfo {
    /// The module's ISA, from its ELF class and machine.
    pub isa: Isa,
    /// Which form the dependencies were taken from.
    pub form: DepForm,
    /// The dependency names in the order the module lists them (for example
    /// `misc/scsi`), split at spaces and tabs as krtld splits them.
    pub dependencies: Vec<String>,
}

/// Errors reading kernel modules and scanning a tree for them.
///
/// [`ModDepsError::is_not_a_module`] tells files that are simply not x86
/// kernel modules (skipped by [`scan`]) from modules krtld could not read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModDepsError {
    /// The file does not start with the ELF magic number.
    #[error("not an ELF file")]
    NotElf,
    /// The file is shorter than the ELF identification and type fields.
    #[error("truncated ELF header")]
    TruncatedHeader,
    /// ELF, but not little-endian 32-bit i386 or 64-bit x86-64.
    #[error("ELF file for another machine (class {class}, data {data}, machine {machine}), not an x86 kernel module")]
    ForeignElf {
        /// `EI_CLASS`.
        class: u8,
        /// `EI_DATA`.
        data: u8,
        /// `e_machine`.
        machine: u16,
    },
    /// x86 ELF, but not a relocatable object (for example the `ET_EXEC`
    /// `unix`).
    #[error("{isa} ELF file of type {e_type}, not a relocatable (ET_REL) kernel module")]
    NotRelocatable {
        /// The ISA of the file.
        isa: Isa,
        /// `e_type`.
        e_type: u16,
    },
    /// Larger than the size limit for a module.
    #[error("{size} bytes, more than the {limit}-byte limit for a kernel module")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The limit ([`ScanOptions::max_module_size`]).
        limit: u64,
    },
    /// The headers or tables of an x86 relocatable object do not parse.
    #[error("malformed {isa} ELF object: {message}")]
    Malformed {
        /// The ISA from the ELF header.
        isa: Isa,
        /// What does not parse.
        message: String,
    },
    /// No `SHT_SYMTAB` section: krtld's `get_syms` refuses such a module.
    #[error("{isa} module without an SHT_SYMTAB symbol table (krtld cannot load it)")]
    NoSymbolTable {
        /// The ISA from the ELF header.
        isa: Isa,
    },
    /// The `SHT_DYNAMIC` section is unusable (krtld's `do_dynamic` fails).
    #[error("{isa} module with a bad .dynamic section: {message}")]
    BadDynamic {
        /// The ISA from the ELF header.
        isa: Isa,
        /// What is wrong.
        message: String,
    },
    /// The `_depends_on` symbol does not point at a NUL-terminated string in
    /// the loaded module (krtld prints "Error processing dependency").
    #[error("{isa} module with a bad _depends_on symbol: {message}")]
    BadDependsOn {
        /// The ISA from the ELF header.
        isa: Isa,
        /// What is wrong.
        message: String,
    },
    /// A dependency name that is not UTF-8 (shown escaped).
    #[error("{isa} module with a dependency name that is not UTF-8: {name}")]
    NonUtf8Name {
        /// The ISA from the ELF header.
        isa: Isa,
        /// The name, escaped with [`fstree::escape_bytes`].
        name: String,
    },
    /// Reading a file of the tree failed.
    #[error("{path}: {source}")]
    Io {
        /// The file's path in the tree.
        path: String,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// [`testkit`] was asked for a module it cannot write.
    #[error("cannot write test module: {0}")]
    Write(String),
}

impl ModDepsError {
    /// True when the file is not an x86 kernel module at all (not ELF, ELF
    /// for another machine, not relocatable, too large): [`scan`] skips such
    /// files. False for modules whose dependencies cannot be read.
    pub fn is_not_a_module(&self) -> bool {
        matches!(
            self,
            ModDepsError::NotElf
                | ModDepsError::TruncatedHeader
                | ModDepsError::ForeignElf { .. }
                | ModDepsError::NotRelocatable { .. }
                | ModDepsError::TooLarge { .. }
        )
    }

    /// The ISA of the file the error is about, when its header told.
    pub fn isa(&self) -> Option<Isa> {
        match self {
            ModDepsError::NotRelocatable { isa, .. }
            | ModDepsError::Malformed { isa, .. }
            | ModDepsError::NoSymbolTable { isa }
            | ModDepsError::BadDynamic { isa, .. }
            | ModDepsError::BadDependsOn { isa, .. }
            | ModDepsError::NonUtf8Name { isa, .. } => Some(*isa),
            _ => None,
        }
    }
}

/// Read the dependencies of one kernel module (a whole ELF file).
///
/// Accepts little-endian ELFCLASS32 `EM_386` and ELFCLASS64 `EM_X86_64`
/// relocatable objects. Dependencies are the `DT_NEEDED` names of the
/// `.dynamic` section if it has any, else the string of the `_depends_on`
/// symbol, else none; see the [module documentation](self) for krtld's rules.
/// Files that are not x86 modules give an error for which
/// [`ModDepsError::is_not_a_module`] is true. Never panics.
pub fn module_deps(elf_bytes: &[u8]) -> Result<ModuleInfo, ModDepsError> {
    let isa = sniff(elf_bytes)?;
    match isa {
        Isa::I386 => parse::<elf::FileHeader32<Endianness>>(elf_bytes, isa),
        Isa::Amd64 => parse::<elf::FileHeader64<Endianness>>(elf_bytes, isa),
    }
}

/// Classify a file from its ELF identification, type and machine, the way
/// `kobj_load_module` does before it reads anything else.
fn sniff(data: &[u8]) -> Result<Isa, ModDepsError> {
    if data.get(..4) != Some(&ELF_MAGIC[..]) {
        return Err(ModDepsError::NotElf);
    }
    let (Some(&class), Some(&enc), Some(t), Some(m)) =
        (data.get(4), data.get(5), data.get(16..18), data.get(18..20))
    else {
        return Err(ModDepsError::TruncatedHeader);
    };
    let e_type = u16::from_le_bytes([t[0], t[1]]);
    let machine = u16::from_le_bytes([m[0], m[1]]);
    let isa = match (class, enc, machine) {
        (1, 1, 3) => Isa::I386,
        (2, 1, 62) => Isa::Amd64,
        _ => {
            // Report the machine in the file's own byte order.
            let machine = if enc == 2 {
                u16::from_be_bytes([m[0], m[1]])
            } else {
                machine
            };
            return Err(ModDepsError::ForeignElf {
                class,
                data: enc,
                machine,
            });
        }
    };
    if e_type != elf::ET_REL.0 {
        return Err(ModDepsError::NotRelocatable { isa, e_type });
    }
    Ok(isa)
}

fn parse<Elf: FileHeader<Endian = Endianness>>(
    data: &[u8],
    isa: Isa,
) -> Result<ModuleInfo, ModDepsError> {
    let malformed = |e: object::read::Error| ModDepsError::Malformed {
        isa,
        message: e.to_string(),
    };
    let header = Elf::parse(data).map_err(malformed)?;
    let endian = header.endian().map_err(malformed)?;
    let sections = header.sections(endian, data).map_err(malformed)?;

    let needed = dynamic_needed::<Elf>(endian, data, &sections, isa)?;
    // get_syms: a module without a symbol table never loads, whatever form
    // its dependencies take. krtld uses the last SHT_SYMTAB section.
    let symtab = sections
        .enumerate()
        .filter(|(_, s)| s.sh_type(endian) == elf::SHT_SYMTAB)
        .map(|(i, _)| i)
        .last()
        .ok_or(ModDepsError::NoSymbolTable { isa })?;

    let (form, strings) = match needed {
        Some(strings) => (DepForm::Dynamic, strings),
        None => match depends_on::<Elf>(endian, data, &sections, symtab, isa)? {
            Some(s) => (DepForm::DependsOn, vec![s]),
            None => (DepForm::None, Vec::new()),
        },
    };
    let mut dependencies = Vec::new();
    for s in &strings {
        for name in s.split(|&b| b == b' ' || b == b'\t') {
            if name.is_empty() {
                continue;
            }
            let name = std::str::from_utf8(name).map_err(|_| ModDepsError::NonUtf8Name {
                isa,
                name: escape_bytes(name),
            })?;
            dependencies.push(name.to_string());
        }
    }
    Ok(ModuleInfo {
        isa,
        form,
        dependencies,
    })
}

/// The `DT_NEEDED` strings of the object's `SHT_DYNAMIC` section, or `None`
/// when there is no such section or it has no `DT_NEEDED` entry
/// (`do_dynamic` and `process_dynamic`).
fn dynamic_needed<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    data: &[u8],
    sections: &SectionTable<'_, Elf>,
    isa: Isa,
) -> Result<Option<Vec<Vec<u8>>>, ModDepsError> {
    let bad = |message: String| ModDepsError::BadDynamic { isa, message };
    let mut dynamic = None;
    for (index, section) in sections.enumerate().skip(1) {
        if section.sh_type(endian) == elf::SHT_DYNAMIC {
            if dynamic.is_some() {
                return Err(bad("more than one SHT_DYNAMIC section".into()));
            }
            dynamic = Some((index, section));
        }
    }
    let Some((index, section)) = dynamic else {
        return Ok(None);
    };
    let link = section.sh_link(endian);
    let strtab = usize::try_from(link)
        .ok()
        .filter(|&l| l != 0)
        .and_then(|l| sections.section(SectionIndex(l)).ok())
        .ok_or_else(|| bad(format!("section {} links to no section ({link})", index.0)))?;
    let strings = strtab
        .strings(endian, data)
        .map_err(|e| bad(e.to_string()))?
        .ok_or_else(|| {
            bad(format!(
                "section {} links to section {link}, which is not a string table",
                index.0
            ))
        })?;
    let entries: &[Elf::Dyn] = section
        .data_as_array(endian, data)
        .map_err(|e| bad(e.to_string()))?;
    let mut needed = Vec::new();
    for entry in entries {
        let tag = entry.d_tag(endian);
        if tag == elf::DT_NULL {
            break;
        }
        if tag == elf::DT_NEEDED {
            let name = entry
                .string(endian, strings)
                .map_err(|_| bad("a DT_NEEDED entry points outside .dynstr".into()))?;
            needed.push(name.to_vec());
        }
    }
    Ok(if needed.is_empty() {
        None
    } else {
        Some(needed)
    })
}

/// The string the first usable `_depends_on` symbol points to (`depends_on`
/// and `lookup_one`), or `None` when the module has no such symbol.
fn depends_on<Elf: FileHeader<Endian = Endianness>>(
    endian: Endianness,
    data: &[u8],
    sections: &SectionTable<'_, Elf>,
    symtab: SectionIndex,
    isa: Isa,
) -> Result<Option<Vec<u8>>, ModDepsError> {
    let bad = |message: &str| ModDepsError::BadDependsOn {
        isa,
        message: message.to_string(),
    };
    let symbols = sections
        .symbol_table_by_index(endian, data, symtab)
        .map_err(|e| ModDepsError::Malformed {
            isa,
            message: e.to_string(),
        })?;
    for (index, sym) in symbols.enumerate().skip(1) {
        let shndx = sym.st_shndx(endian);
        if sym.st_name(endian) == 0
            || shndx == elf::SHN_UNDEF
            || shndx == elf::SHN_COMMON
            || sym.st_type() == elf::STT_FILE
        {
            continue;
        }
        let name = symbols
            .symbol_name(endian, sym)
            .map_err(|e| ModDepsError::Malformed {
                isa,
                message: e.to_string(),
            })?;
        if name != DEPENDS_ON_SYMBOL.as_bytes() {
            continue;
        }
        let section_index = symbols
            .symbol_section(endian, sym, index)
            .map_err(|e| bad(&e.to_string()))?
            .ok_or_else(|| bad("the symbol is not in a section of the module"))?;
        let section = sections
            .section(section_index)
            .map_err(|_| bad("the symbol's section does not exist"))?;
        if section.sh_flags(endian).0 & elf::SHF_ALLOC.0 == 0 {
            return Err(bad("the symbol is not in a loaded (SHF_ALLOC) section"));
        }
        let value: u64 = sym.st_value(endian).into();
        let size: u64 = sym.st_size(endian).into();
        let bytes: &[u8] = if section.sh_type(endian) == elf::SHT_NOBITS {
            // A .bss string: zero-filled when loaded, so empty.
            let len: u64 = section.sh_size(endian).into();
            return if value < len {
                Ok(Some(Vec::new()))
            } else {
                Err(bad("the symbol's address is outside its section"))
            };
        } else {
            section
                .data(endian, data)
                .map_err(|e| bad(&e.to_string()))?
        };
        let start = usize::try_from(value)
            .ok()
            .filter(|&v| v < bytes.len())
            .ok_or_else(|| bad("the symbol's address is outside its section"))?;
        let tail = &bytes[start..];
        let string = if size == 0 {
            let nul = tail
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| bad("the string is not NUL-terminated"))?;
            &tail[..nul]
        } else {
            let len = usize::try_from(size)
                .ok()
                .filter(|&s| s <= tail.len())
                .ok_or_else(|| bad("the symbol extends past the end of its section"))?;
            let within = &tail[..len];
            if within.last() != Some(&0) {
                return Err(bad("the symbol's last byte is not NUL"));
            }
            let nul = within.iter().position(|&b| b == 0).unwrap_or(len);
            &within[..nul]
        };
        return Ok(Some(string.to_vec()));
    }
    Ok(None)
}

/// Options for [`scan_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOptions {
    /// The platform whose `platform/<platform>/kernel` heads the module path
    /// of modules under `kernel/` and `usr/kernel/` (modules under another
    /// `platform/<p>/kernel` use their own platform). Default `i86pc`.
    pub platform: String,
    /// Files larger than this are not read ([`ModDepsError::TooLarge`]).
    /// Default [`MAX_MODULE_SIZE`].
    pub max_module_size: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            platform: "i86pc".to_string(),
            max_module_size: MAX_MODULE_SIZE,
        }
    }
}

/// Where krtld would find one dependency of a module.
#[derive(Debug, Clone)]
pub enum Target {
    /// A module of the right ISA: the dependency is satisfied.
    Found {
        /// The path krtld opens (for example `kernel/misc/amd64/scsi`).
        path: String,
    },
    /// No file at any place along the module path.
    NotInTree,
    /// The first file found is a module for the other ISA, which krtld
    /// rejects instead of searching further.
    WrongIsa {
        /// The path krtld opens.
        path: String,
        /// That file's ISA.
        isa: Isa,
    },
    /// The first file found is not an x86 kernel module.
    NotAModule {
        /// The path krtld opens.
        path: String,
        /// Why it is not a module.
        reason: ModDepsError,
    },
    /// The name is longer than [`MAX_NAME_LEN`], which krtld refuses.
    NameTooLong,
    /// The name holds a `$` macro (`$CPU`, `$MMU`) that krtld expands from
    /// boot properties; not checked.
    Macro,
}

impl Target {
    /// True for targets krtld cannot load: [`Target::NotInTree`],
    /// [`Target::WrongIsa`], [`Target::NotAModule`], [`Target::NameTooLong`].
    pub fn is_broken(&self) -> bool {
        !matches!(self, Target::Found { .. } | Target::Macro)
    }
}

/// One dependency of a scanned module and where it resolves.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The name as the module lists it, for example `misc/scsi`.
    pub name: String,
    /// Where krtld would find it.
    pub target: Target,
}

/// A kernel module found by [`scan`].
#[derive(Debug, Clone)]
pub struct Module {
    /// Path in the tree without a leading `/`, for example
    /// `kernel/drv/amd64/sd`.
    pub path: String,
    /// Module name relative to its module directory, without the `amd64/`
    /// component, for example `drv/sd`.
    pub name: String,
    /// The module's ISA.
    pub isa: Isa,
    /// Where its dependencies came from.
    pub form: DepForm,
    /// Its dependencies (duplicates removed) and where they resolve.
    pub deps: Vec<Dependency>,
    /// Paths of the modules with a dependency that resolves to this file.
    pub used_by: Vec<String>,
}

/// An x86 relocatable object under a module directory whose dependencies
/// cannot be read.
#[derive(Debug, Clone)]
pub struct BadModule {
    /// Path in the tree without a leading `/`.
    pub path: String,
    /// Module name relative to its module directory.
    pub name: String,
    /// Its ISA (from the ELF header).
    pub isa: Isa,
    /// What is wrong.
    pub error: ModDepsError,
    /// Paths of the modules with a dependency that resolves to this file.
    pub used_by: Vec<String>,
}

/// A file under a module directory that is not an x86 kernel module.
#[derive(Debug, Clone)]
pub struct SkippedFile {
    /// Path in the tree without a leading `/`.
    pub path: String,
    /// Why it is not a module ([`ModDepsError::is_not_a_module`] is true).
    pub reason: ModDepsError,
}

/// The kernel modules of a tree and their resolved dependencies.
#[derive(Debug, Clone, Default)]
pub struct ModuleGraph {
    /// Modules whose dependencies were read, sorted by path.
    pub modules: Vec<Module>,
    /// Modules whose dependencies could not be read, sorted by path.
    pub bad: Vec<BadModule>,
    /// Other regular files under the module directories (not ELF, `ET_EXEC`
    /// kernels, foreign ELF), sorted by path; `.conf` files are left out.
    pub skipped: Vec<SkippedFile>,
    /// Number of `.conf` files under the module directories (not read).
    pub conf_files: usize,
}

/// Read the module directories of `tree`, with [`ScanOptions::default`] and
/// file contents taken from each file's [`Data`] ([`read_file_head`]).
pub fn scan(tree: &Tree) -> Result<ModuleGraph, ModDepsError> {
    let opts = ScanOptions::default();
    let limit = opts.max_module_size;
    scan_with(tree, &opts, &|id| read_file_head(tree, id, limit))
}

/// The bytes of regular file `id` as far as module scanning needs them: the
/// whole file (at most `limit + 1` bytes) when it starts with the ELF magic,
/// otherwise just its first bytes. [`Data::Path`] files are read from the
/// host, [`Data::Bytes`] copied, [`Data::Zeros`] give zeros.
pub fn read_file_head(tree: &Tree, id: NodeId, limit: u64) -> io::Result<Vec<u8>> {
    let Some(node) = tree.nodes.get(id) else {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no such node"));
    };
    let Kind::File { size, data } = &node.kind else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    };
    let cap = limit.saturating_add(1);
    match data {
        Data::Zeros => {
            let n = usize::try_from((*size).min(4)).unwrap_or(4);
            Ok(vec![0; n])
        }
        Data::Bytes(b) => {
            if b.starts_with(&ELF_MAGIC) {
                let n = usize::try_from(cap).unwrap_or(usize::MAX).min(b.len());
                Ok(b[..n].to_vec())
            } else {
                Ok(b[..b.len().min(4)].to_vec())
            }
        }
        Data::Path(p) => {
            let mut f = std::fs::File::open(p)?.take(cap);
            let mut head = Vec::with_capacity(4);
            (&mut f).take(4).read_to_end(&mut head)?;
            if head != ELF_MAGIC {
                return Ok(head);
            }
            f.read_to_end(&mut head)?;
            Ok(head)
        }
    }
}

/// A module directory found in the tree.
struct ModDir {
    /// Its path, for example `platform/i86pc/kernel`.
    path: Vec<u8>,
    node: NodeId,
    /// The platform heading the module path of modules in it.
    platform: Vec<u8>,
}

/// One regular file under a module directory.
struct Candidate {
    path: Vec<u8>,
    name: Vec<u8>,
    node: NodeId,
    platform: Vec<u8>,
}

/// What a file turned out to be.
#[derive(Clone)]
enum Class {
    Module(ModuleInfo),
    Bad(Isa, ModDepsError),
    NotModule(ModDepsError),
}

impl Class {
    fn isa(&self) -> Option<Isa> {
        match self {
            Class::Module(i) => Some(i.isa),
            Class::Bad(isa, _) => Some(*isa),
            Class::NotModule(_) => None,
        }
    }
}

struct Scanner<'a> {
    tree: &'a Tree,
    opts: &'a ScanOptions,
    read: &'a dyn Fn(NodeId) -> io::Result<Vec<u8>>,
    cache: HashMap<NodeId, Class>,
}

impl Scanner<'_> {
    /// Classify regular file `id` (read at most once per node).
    fn classify(&mut self, id: NodeId, path: &[u8]) -> Result<Class, ModDepsError> {
        if let Some(c) = self.cache.get(&id) {
            return Ok(c.clone());
        }
        let class = self.classify_uncached(id, path)?;
        self.cache.insert(id, class.clone());
        Ok(class)
    }

    fn classify_uncached(&self, id: NodeId, path: &[u8]) -> Result<Class, ModDepsError> {
        let limit = self.opts.max_module_size;
        let size = match self.tree.nodes.get(id).map(|n| &n.kind) {
            Some(Kind::File { size, data }) => {
                if matches!(data, Data::Zeros) {
                    return Ok(Class::NotModule(ModDepsError::NotElf));
                }
                *size
            }
            _ => return Ok(Class::NotModule(ModDepsError::NotElf)),
        };
        if size > limit {
            return Ok(Class::NotModule(ModDepsError::TooLarge { size, limit }));
        }
        let bytes = (self.read)(id).map_err(|e| ModDepsError::Io {
            path: escape_bytes(path),
            source: Arc::new(e),
        })?;
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if len > limit {
            return Ok(Class::NotModule(ModDepsError::TooLarge {
                size: len,
                limit,
            }));
        }
        Ok(match module_deps(&bytes) {
            Ok(info) => Class::Module(info),
            Err(e) if e.is_not_a_module() => Class::NotModule(e),
            Err(e) => match e.isa() {
                Some(isa) => Class::Bad(isa, e),
                None => Class::NotModule(e),
            },
        })
    }

    /// Where krtld finds dependency `name` of a module of `isa` whose module
    /// path starts with `platform/<platform>/kernel`; also the node found.
    fn resolve(
        &mut self,
        isa: Isa,
        platform: &[u8],
        name: &str,
    ) -> Result<(Target, Option<NodeId>), ModDepsError> {
        if name.contains('$') {
            return Ok((Target::Macro, None));
        }
        if name.len() > MAX_NAME_LEN {
            return Ok((Target::NameTooLong, None));
        }
        let mut dirs: Vec<Vec<u8>> = Vec::with_capacity(3);
        let mut plat = b"platform/".to_vec();
        plat.extend_from_slice(platform);
        plat.extend_from_slice(b"/kernel");
        dirs.push(plat);
        dirs.extend(DEFAULT_MODULE_DIRS.iter().map(|d| d.as_bytes().to_vec()));

        let name = name.as_bytes();
        let mut candidates: Vec<Vec<u8>> = Vec::with_capacity(6);
        if isa == Isa::Amd64 {
            let (dir, base) = match name.iter().rposition(|&b| b == b'/') {
                Some(i) => (&name[..=i], &name[i + 1..]),
                None => (&name[..0], name),
            };
            for d in &dirs {
                let mut c = d.clone();
                c.push(b'/');
                c.extend_from_slice(dir);
                c.extend_from_slice(AMD64_DIR.as_bytes());
                c.push(b'/');
                c.extend_from_slice(base);
                candidates.push(c);
            }
        }
        for d in &dirs {
            let mut c = d.clone();
            c.push(b'/');
            c.extend_from_slice(name);
            candidates.push(c);
        }
        for c in candidates {
            let Some(node) = resolve_path(self.tree, &c) else {
                continue;
            };
            if !matches!(kind(self.tree, node), Some(Kind::File { .. })) {
                continue;
            }
            let path = escape_bytes(&c);
            let class = self.classify(node, &c)?;
            let target = match (&class, class.isa()) {
                (Class::NotModule(reason), _) => Target::NotAModule {
                    path,
                    reason: reason.clone(),
                },
                (_, Some(found)) if found == isa => Target::Found { path },
                (_, Some(found)) => Target::WrongIsa { path, isa: found },
                (_, None) => Target::NotInTree,
            };
            let used = matches!(target, Target::Found { .. }).then_some(node);
            return Ok((target, used));
        }
        Ok((Target::NotInTree, None))
    }
}

/// Follow `path` from the root of `tree`, interpreting `.`, `..` and
/// symbolic links (relative and absolute, at most 40 of them) the way the
/// booted system's open would. Returns the node reached.
fn resolve_path(tree: &Tree, path: &[u8]) -> Option<NodeId> {
    let mut ancestors: Vec<NodeId> = vec![ROOT];
    // Components still to walk, last one first.
    let mut pending: Vec<Vec<u8>> = path
        .split(|&b| b == b'/')
        .rev()
        .map(<[u8]>::to_vec)
        .collect();
    let mut hops = 0usize;
    while let Some(comp) = pending.pop() {
        if comp.is_empty() || comp == b"." {
            continue;
        }
        if comp == b".." {
            if ancestors.len() > 1 {
                ancestors.pop();
            }
            continue;
        }
        let cur = *ancestors.last()?;
        let Kind::Dir(list) = kind(tree, cur)? else {
            return None;
        };
        let i = list
            .binary_search_by(|e| e.name.as_slice().cmp(&comp))
            .ok()?;
        let child = list.get(i)?.node;
        match kind(tree, child)? {
            Kind::Symlink(target) => {
                hops += 1;
                if hops > SYMLINK_HOPS {
                    return None;
                }
                if target.first() == Some(&b'/') {
                    ancestors.truncate(1);
                }
                pending.extend(target.split(|&b| b == b'/').rev().map(<[u8]>::to_vec));
            }
            _ => ancestors.push(child),
        }
    }
    ancestors.last().copied()
}

/// The kind of node `id`, if it exists.
fn kind(tree: &Tree, id: NodeId) -> Option<&Kind> {
    tree.nodes.get(id).map(|n| &n.kind)
}

/// The entries of directory `id` (empty for anything else).
fn entries(tree: &Tree, id: NodeId) -> &[fstree::Entry] {
    match kind(tree, id) {
        Some(Kind::Dir(e)) => e,
        _ => &[],
    }
}

/// The module directories of `tree`: `kernel`, `usr/kernel` and each
/// `platform/<p>/kernel` that is a real directory (symbolic links are not
/// followed, so no module is seen twice).
fn module_dirs(tree: &Tree, opts: &ScanOptions) -> Vec<ModDir> {
    let is_dir = |id: NodeId| matches!(kind(tree, id), Some(Kind::Dir(_)));
    let mut dirs = Vec::new();
    for d in DEFAULT_MODULE_DIRS {
        if let Some(id) = tree.lookup(d.as_bytes()).filter(|&id| is_dir(id)) {
            dirs.push(ModDir {
                path: d.as_bytes().to_vec(),
                node: id,
                platform: opts.platform.as_bytes().to_vec(),
            });
        }
    }
    if let Some(plat) = tree.lookup(b"platform").filter(|&id| is_dir(id)) {
        for e in entries(tree, plat) {
            let Some(k) = entries(tree, e.node)
                .iter()
                .find(|k| k.name == b"kernel")
                .map(|k| k.node)
                .filter(|&k| is_dir(k) && is_dir(e.node))
            else {
                continue;
            };
            let mut path = b"platform/".to_vec();
            path.extend_from_slice(&e.name);
            path.extend_from_slice(b"/kernel");
            dirs.push(ModDir {
                path,
                node: k,
                platform: e.name.clone(),
            });
        }
    }
    dirs
}

/// Every regular file under the module directories with its module name.
fn candidates(tree: &Tree, dirs: &[ModDir]) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut seen_dirs: HashSet<NodeId> = HashSet::new();
    for d in dirs {
        // (directory, its path, its path relative to the module directory)
        let mut stack: Vec<(NodeId, Vec<u8>, Vec<Vec<u8>>)> =
            vec![(d.node, d.path.clone(), Vec::new())];
        while let Some((dir, path, rel)) = stack.pop() {
            if !seen_dirs.insert(dir) {
                continue;
            }
            for e in entries(tree, dir).iter().rev() {
                let mut p = path.clone();
                p.push(b'/');
                p.extend_from_slice(&e.name);
                let mut r = rel.clone();
                r.push(e.name.clone());
                match kind(tree, e.node) {
                    Some(Kind::Dir(_)) => stack.push((e.node, p, r)),
                    Some(Kind::File { .. }) => {
                        // drv/amd64/sd and amd64/genunix name drv/sd and genunix.
                        if r.len() >= 2 && r[r.len() - 2] == AMD64_DIR.as_bytes() {
                            r.remove(r.len() - 2);
                        }
                        out.push(Candidate {
                            path: p,
                            name: r.join(&b'/'),
                            node: e.node,
                            platform: d.platform.clone(),
                        });
                    }
                    _ => {}
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Find the kernel modules of `tree` and resolve their dependencies.
///
/// Regular files under `kernel/`, `usr/kernel/` and `platform/*/kernel/`
/// (32-bit ones and those in `amd64/` subdirectories) are read with `read`
/// unless named `*.conf`; x86 `ET_REL` objects become [`Module`]s (or
/// [`BadModule`]s when their dependencies cannot be read), other files are
/// listed in [`ModuleGraph::skipped`]. Each dependency is resolved along the
/// module path for the module's ISA, as described in the
/// [module documentation](self); symbolic links are followed there.
/// `read` returns a file's bytes (see [`read_file_head`]); its errors end
/// the scan with [`ModDepsError::Io`].
pub fn scan_with(
    tree: &Tree,
    opts: &ScanOptions,
    read: &dyn Fn(NodeId) -> io::Result<Vec<u8>>,
) -> Result<ModuleGraph, ModDepsError> {
    let dirs = module_dirs(tree, opts);
    let files = candidates(tree, &dirs);
    let mut scanner = Scanner {
        tree,
        opts,
        read,
        cache: HashMap::new(),
    };
    let mut graph = ModuleGraph::default();
    // Modules in path order, with their node and platform, before resolution.
    let mut found: Vec<(Candidate, Class)> = Vec::new();
    for c in files {
        if c.name.ends_with(b".conf") {
            graph.conf_files += 1;
            continue;
        }
        let class = scanner.classify(c.node, &c.path)?;
        match class {
            Class::NotModule(reason) => graph.skipped.push(SkippedFile {
                path: escape_bytes(&c.path),
                reason,
            }),
            class => found.push((c, class)),
        }
    }

    let mut used_by: HashMap<NodeId, Vec<String>> = HashMap::new();
    for (c, class) in &found {
        let path = escape_bytes(&c.path);
        let name = escape_bytes(&c.name);
        match class {
            Class::Module(info) => {
                let mut deps = Vec::with_capacity(info.dependencies.len());
                let mut seen = HashSet::new();
                for dep in &info.dependencies {
                    if !seen.insert(dep.as_str()) {
                        continue;
                    }
                    let (target, node) = scanner.resolve(info.isa, &c.platform, dep)?;
                    if let Some(n) = node.filter(|&n| n != c.node) {
                        let list = used_by.entry(n).or_default();
                        if list.last() != Some(&path) {
                            list.push(path.clone());
                        }
                    }
                    deps.push(Dependency {
                        name: dep.clone(),
                        target,
                    });
                }
                graph.modules.push(Module {
                    path,
                    name,
                    isa: info.isa,
                    form: info.form,
                    deps,
                    used_by: Vec::new(),
                });
            }
            Class::Bad(isa, error) => graph.bad.push(BadModule {
                path,
                name,
                isa: *isa,
                error: error.clone(),
                used_by: Vec::new(),
            }),
            Class::NotModule(_) => {}
        }
    }
    // Attach dependents; modules and bad modules are in path order, like `found`.
    let (mut mi, mut bi) = (0usize, 0usize);
    for (c, class) in &found {
        let users = used_by.get(&c.node).cloned().unwrap_or_default();
        match class {
            Class::Module(_) => {
                if let Some(m) = graph.modules.get_mut(mi) {
                    m.used_by = users;
                }
                mi += 1;
            }
            Class::Bad(..) => {
                if let Some(b) = graph.bad.get_mut(bi) {
                    b.used_by = users;
                }
                bi += 1;
            }
            Class::NotModule(_) => {}
        }
    }
    Ok(graph)
}

/// A dependency krtld cannot satisfy.
#[derive(Debug, Clone)]
pub struct MissingDep {
    /// Path of the module that needs it, for example `kernel/drv/amd64/sd`.
    pub module: String,
    /// That module's ISA.
    pub isa: Isa,
    /// The dependency name, for example `misc/scsi`.
    pub dependency: String,
    /// What krtld would find instead ([`Target::is_broken`] is true).
    pub problem: Target,
}

impl MissingDep {
    fn key(&self) -> (&str, Isa, &str) {
        (&self.module, self.isa, &self.dependency)
    }
}

impl fmt::Display for MissingDep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): needs {}",
            self.module, self.isa, self.dependency
        )?;
        match &self.problem {
            Target::NotInTree => write!(f, ", which is not in the tree"),
            Target::WrongIsa { path, isa } => write!(
                f,
                ", which is not in the tree for {} ({path}, found first, is {isa})",
                self.isa
            ),
            Target::NotAModule { path, reason } => {
                write!(
                    f,
                    ", but {path} (found first) is not a kernel module: {reason}"
                )
            }
            Target::NameTooLong => write!(
                f,
                ", a name longer than krtld's {MAX_NAME_LEN}-character limit"
            ),
            Target::Found { path } => write!(f, ", found at {path}"),
            Target::Macro => write!(f, ", a krtld macro name (not checked)"),
        }
    }
}

/// A module nothing in the tree depends on (informational: drivers, file
/// systems and most other top-level modules are loaded by name, not as
/// dependencies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnusedModule {
    /// Path of the module, for example `kernel/misc/amd64/cmlb`.
    pub path: String,
    /// Its module name, for example `misc/cmlb`.
    pub name: String,
    /// Its ISA.
    pub isa: Isa,
}

impl fmt::Display for UnusedModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): nothing depends on it", self.path, self.isa)
    }
}

/// A dependency not checked because its name holds a krtld macro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncheckedDep {
    /// Path of the module that needs it.
    pub module: String,
    /// That module's ISA.
    pub isa: Isa,
    /// The dependency name, for example `cpu/$CPU`.
    pub dependency: String,
}

impl fmt::Display for UncheckedDep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): needs {}, a krtld macro name (not checked)",
            self.module, self.isa, self.dependency
        )
    }
}

/// The result of [`check`].
#[derive(Debug, Clone, Default)]
pub struct DepReport {
    /// Number of 32-bit modules whose dependencies were read.
    pub i386_modules: usize,
    /// Number of 64-bit modules whose dependencies were read.
    pub amd64_modules: usize,
    /// Every dependency krtld cannot satisfy, in module path order.
    pub missing: Vec<MissingDep>,
    /// Modules whose dependencies cannot be read.
    pub bad: Vec<BadModule>,
    /// Dependencies not checked (krtld macros).
    pub unchecked: Vec<UncheckedDep>,
    /// Modules nothing depends on, in path order (informational).
    pub unused: Vec<UnusedModule>,
}

impl DepReport {
    /// True when every dependency resolves and every module can be read.
    pub fn is_ok(&self) -> bool {
        self.missing.is_empty() && self.bad.is_empty()
    }

    /// The broken dependencies of `self` that `before` (for example the
    /// report on the proto, before the rules) did not have: what the rules
    /// broke.
    pub fn new_since<'a>(&'a self, before: &DepReport) -> Vec<&'a MissingDep> {
        let old: HashSet<(&str, Isa, &str)> = before.missing.iter().map(MissingDep::key).collect();
        self.missing
            .iter()
            .filter(|m| !old.contains(&m.key()))
            .collect()
    }
}

impl fmt::Display for DepReport {
    /// One line per broken dependency, unreadable module and unchecked
    /// dependency, then a summary line. Unused modules are only counted;
    /// each [`UnusedModule`] displays as its own line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.missing {
            writeln!(f, "{m}")?;
        }
        for b in &self.bad {
            writeln!(
                f,
                "{} ({}): cannot read its dependencies: {}",
                b.path, b.isa, b.error
            )?;
        }
        for u in &self.unchecked {
            writeln!(f, "{u}")?;
        }
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        writeln!(
            f,
            "{} ({} i386, {} amd64): {}, {}, {} nothing depends on",
            plural(
                self.i386_modules + self.amd64_modules,
                "kernel module",
                "kernel modules"
            ),
            self.i386_modules,
            self.amd64_modules,
            plural(
                self.missing.len(),
                "missing dependency",
                "missing dependencies"
            ),
            plural(self.bad.len(), "unreadable module", "unreadable modules"),
            plural(self.unused.len(), "module", "modules"),
        )
    }
}

/// Check a scanned tree: every broken dependency, every unreadable module,
/// and the modules nothing depends on.
pub fn check(graph: &ModuleGraph) -> DepReport {
    let mut report = DepReport::default();
    for m in &graph.modules {
        match m.isa {
            Isa::I386 => report.i386_modules += 1,
            Isa::Amd64 => report.amd64_modules += 1,
        }
        for d in &m.deps {
            match &d.target {
                Target::Found { .. } => {}
                Target::Macro => report.unchecked.push(UncheckedDep {
                    module: m.path.clone(),
                    isa: m.isa,
                    dependency: d.name.clone(),
                }),
                t => report.missing.push(MissingDep {
                    module: m.path.clone(),
                    isa: m.isa,
                    dependency: d.name.clone(),
                    problem: t.clone(),
                }),
            }
        }
    }
    report.bad = graph.bad.clone();
    let mut unused: BTreeMap<&str, UnusedModule> = BTreeMap::new();
    for m in graph.modules.iter().filter(|m| m.used_by.is_empty()) {
        unused.insert(
            &m.path,
            UnusedModule {
                path: m.path.clone(),
                name: m.name.clone(),
                isa: m.isa,
            },
        );
    }
    for b in graph.bad.iter().filter(|b| b.used_by.is_empty()) {
        unused.insert(
            &b.path,
            UnusedModule {
                path: b.path.clone(),
                name: b.name.clone(),
                isa: b.isa,
            },
        );
    }
    report.unused = unused.into_values().collect();
    report
}
