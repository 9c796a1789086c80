//! Synthesize illumos kernel modules for tests and demos.
//!
//! [`make_test_module`] writes a small but real ELF relocatable object with
//! `object::write::elf::Writer`: `.text` with `_init`, `_fini` and `_info`,
//! `.data`, a symbol table, and the module's dependencies in the form asked
//! for:
//!
//! * with [`DepForm::Dynamic`], a `.dynamic` section (`SHT_DYNAMIC`,
//!   `SHF_WRITE | SHF_ALLOC`, entry size of one `Elf32_Dyn`/`Elf64_Dyn`)
//!   holding one `DT_NEEDED` entry per name and a closing `DT_NULL`, linked
//!   by `sh_link` to a `.dynstr` string table (`SHT_STRTAB`, `SHF_ALLOC`),
//!   the shape `ld -r -Nmisc/scsi -Nmisc/cmlb` gives a module and the only
//!   things krtld's `do_dynamic` checks;
//! * with [`DepForm::DependsOn`], a global `STT_OBJECT` symbol `_depends_on` in
//!   `.data` whose `st_size` covers the names joined by spaces and the
//!   closing NUL, as `char _depends_on[] = "misc/scsi misc/cmlb";` compiles;
//! * with [`DepForm::None`], no dependency information at all.
//!
//! The output is deterministic: the same arguments give the same bytes.

use super::{DepForm, Isa, ModDepsError};
use object::elf;
use object::write::elf::{FileHeader, SectionHeader, Sym, Writer};
use object::Endianness;

/// A kernel module to synthesize; [`TestModule::build`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestModule<'a> {
    /// ELFCLASS32 `EM_386` or ELFCLASS64 `EM_X86_64`.
    pub isa: Isa,
    /// How the dependencies are recorded.
    pub form: DepForm,
    /// Dependency names such as `misc/scsi`; must be empty for
    /// [`DepForm::None`]. Names must be non-empty and free of NUL bytes.
    pub deps: &'a [&'a str],
    /// Size of `.text` in bytes (at least 16 are written). Use it to give
    /// demo modules a realistic size.
    pub text_len: usize,
    /// `None` fills `.text` beyond the three functions with `int3` (0xcc);
    /// `Some(seed)` with deterministic pseudo-random bytes, which compress
    /// like real code rather than to nothing.
    pub fill_seed: Option<u64>,
    /// With [`DepForm::Dynamic`] only: also write a `_depends_on` symbol
    /// holding this string, which krtld ignores because the `DT_NEEDED`
    /// entries come first (for testing that rule).
    pub extra_depends_on: Option<&'a str>,
}

impl<'a> TestModule<'a> {
    /// A minimal module (16 bytes of `.text`, `int3` fill).
    pub fn new(isa: Isa, form: DepForm, deps: &'a [&'a str]) -> Self {
        TestModule {
            isa,
            form,
            deps,
            text_len: 16,
            fill_seed: None,
            extra_depends_on: None,
        }
    }

    /// Write the module as an ELF relocatable object.
    ///
    /// Errors: dependencies given with [`DepForm::None`],
    /// [`TestModule::extra_depends_on`] without [`DepForm::Dynamic`], an
    /// empty name or one containing NUL, or a writer failure.
    pub fn build(&self) -> Result<Vec<u8>, ModDepsError> {
        if self.form == DepForm::None && !self.deps.is_empty() {
            return Err(ModDepsError::Write(
                "dependencies need the Dynamic or DependsOn form".into(),
            ));
        }
        if self.extra_depends_on.is_some() && self.form != DepForm::Dynamic {
            return Err(ModDepsError::Write(
                "an extra _depends_on string needs the Dynamic form".into(),
            ));
        }
        if self
            .extra_depends_on
            .is_some_and(|s| s.as_bytes().contains(&0))
        {
            return Err(ModDepsError::Write(
                "the extra _depends_on string contains NUL".into(),
            ));
        }
        if let Some(bad) = self
            .deps
            .iter()
            .find(|d| d.is_empty() || d.as_bytes().contains(&0))
        {
            return Err(ModDepsError::Write(format!(
                "dependency name {bad:?} is empty or contains NUL"
            )));
        }
        let text = self.text();
        let depends_on = match (self.form, self.extra_depends_on) {
            (DepForm::DependsOn, _) => Some(self.deps.join(" ")),
            (_, Some(s)) => Some(s.to_string()),
            _ => None,
        };
        // .data: an 8-byte stand-in for modlinkage, then the _depends_on
        // string (so the symbol has a non-zero st_value).
        let mut data = vec![0u8; 8];
        let depends_off = data.len();
        if let Some(s) = &depends_on {
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        }
        let depends_size = data.len() - depends_off;
        let depends = depends_on.is_some().then_some((depends_off, depends_size));
        write_elf(self, &text, &data, depends).map_err(|e| ModDepsError::Write(e.to_string()))
    }

    /// `.text`: `_init`, `_fini` and `_info` (each `xor eax, eax; ret`,
    /// padded to 4 bytes), then fill.
    fn text(&self) -> Vec<u8> {
        let len = self.text_len.max(16);
        let mut text = Vec::with_capacity(len);
        for _ in 0..3 {
            text.extend_from_slice(&[0x31, 0xc0, 0xc3, 0xcc]);
        }
        match self.fill_seed {
            None => text.resize(len, 0xcc),
            Some(seed) => {
                // xorshift64*, never seeded with zero.
                let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
                if x == 0 {
                    x = 1;
                }
                while text.len() < len {
                    x ^= x >> 12;
                    x ^= x << 25;
                    x ^= x >> 27;
                    let v = x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
                    let n = (len - text.len()).min(v.len());
                    text.extend_from_slice(&v[..n]);
                }
            }
        }
        text
    }
}

/// Write a minimal kernel module of `isa` with dependencies `deps` in
/// `form` (see [`TestModule`]); for example
/// `make_test_module(Isa::Amd64, DepForm::DependsOn, &["misc/scsi", "misc/cmlb"])`
/// for what `kernel/drv/amd64/sd` declares.
pub fn make_test_module(isa: Isa, form: DepForm, deps: &[&str]) -> Result<Vec<u8>, ModDepsError> {
    TestModule::new(isa, form, deps).build()
}

/// Write the object; `depends` is the offset and size of the `_depends_on`
/// string in `data`, if the module has one.
fn write_elf(
    m: &TestModule<'_>,
    text: &[u8],
    data: &[u8],
    depends: Option<(usize, usize)>,
) -> object::write::Result<Vec<u8>> {
    let is_64 = m.isa == Isa::Amd64;
    let dynamic = m.form == DepForm::Dynamic;
    let mut out = Vec::new();
    let mut w = Writer::new(Endianness::Little, is_64, &mut out);

    // Phase 1: reserve section indices, strings, symbols and file ranges.
    w.reserve_file_header();
    let text_name = w.add_section_name(b".text");
    let text_index = w.reserve_section_index();
    let data_name = w.add_section_name(b".data");
    let data_index = w.reserve_section_index();
    let mut needed = Vec::new();
    if dynamic {
        for d in m.deps {
            needed.push(w.add_dynamic_string(d.as_bytes()));
        }
        w.require_dynstr();
        w.reserve_dynamic_section_index();
        w.reserve_dynstr_section_index();
    }
    w.reserve_symtab_section_index();
    w.reserve_strtab_section_index();
    w.reserve_shstrtab_section_index();

    let file_str = w.add_string(b"module.c");
    let funcs = [
        (w.add_string(b"_init"), 0u64),
        (w.add_string(b"_fini"), 4),
        (w.add_string(b"_info"), 8),
    ];
    let depends_str = depends.map(|_| w.add_string(super::DEPENDS_ON_SYMBOL.as_bytes()));
    w.reserve_null_symbol_index();
    w.reserve_symbol_index(None);
    for _ in &funcs {
        w.reserve_symbol_index(Some(text_index));
    }
    if depends.is_some() {
        w.reserve_symbol_index(Some(data_index));
    }
    let num_local = 2; // the null symbol and the STT_FILE symbol

    let len = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let text_off = w.reserve(len(text.len()), 16);
    let data_off = w.reserve(len(data.len()), 8);
    if dynamic {
        w.reserve_dynamic(needed.len() + 1);
        w.reserve_dynstr()?;
    }
    w.reserve_symtab();
    w.reserve_strtab()?;
    w.reserve_shstrtab()?;
    w.reserve_section_headers();

    // Phase 2: write in the same order.
    w.write_file_header(&FileHeader {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_type: elf::ET_REL,
        e_machine: if is_64 { elf::EM_X86_64 } else { elf::EM_386 },
        e_entry: 0,
        e_flags: elf::FileFlags(0),
    })?;
    w.write_align(16);
    w.write(text);
    w.write_align(8);
    w.write(data);
    if dynamic {
        w.write_align_dynamic();
        for id in &needed {
            w.write_dynamic_string(elf::DT_NEEDED, *id)?;
        }
        w.write_dynamic(elf::DT_NULL, 0)?;
        w.write_dynstr();
    }

    w.write_null_symbol();
    w.write_symbol(&Sym {
        section: None,
        st_name: w.string_offset(Some(file_str)),
        st_info: elf::SymbolInfo::new(elf::STB_LOCAL, elf::STT_FILE),
        st_other: elf::SymbolOther(0),
        st_shndx: elf::SHN_ABS,
        st_value: 0,
        st_size: 0,
    });
    for (name, value) in funcs {
        w.write_symbol(&Sym {
            section: Some(text_index.0),
            st_name: w.string_offset(Some(name)),
            st_info: elf::SymbolInfo::new(elf::STB_GLOBAL, elf::STT_FUNC),
            st_other: elf::SymbolOther(0),
            st_shndx: elf::SHN_UNDEF,
            st_value: value,
            st_size: 3,
        });
    }
    if let (Some(name), Some((depends_off, depends_size))) = (depends_str, depends) {
        w.write_symbol(&Sym {
            section: Some(data_index.0),
            st_name: w.string_offset(Some(name)),
            st_info: elf::SymbolInfo::new(elf::STB_GLOBAL, elf::STT_OBJECT),
            st_other: elf::SymbolOther(0),
            st_shndx: elf::SHN_UNDEF,
            st_value: len(depends_off),
            st_size: len(depends_size),
        });
    }
    w.write_strtab();
    w.write_shstrtab();

    w.write_null_section_header();
    w.write_section_header(&SectionHeader {
        sh_name: w.section_name_offset(Some(text_name)),
        sh_type: elf::SHT_PROGBITS,
        sh_flags: elf::SHF_ALLOC | elf::SHF_EXECINSTR,
        sh_addr: 0,
        sh_offset: text_off,
        sh_size: len(text.len()),
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 16,
        sh_entsize: 0,
    });
    w.write_section_header(&SectionHeader {
        sh_name: w.section_name_offset(Some(data_name)),
        sh_type: elf::SHT_PROGBITS,
        sh_flags: elf::SHF_WRITE | elf::SHF_ALLOC,
        sh_addr: 0,
        sh_offset: data_off,
        sh_size: len(data.len()),
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 8,
        sh_entsize: 0,
    });
    if dynamic {
        w.write_dynamic_section_header(0);
        w.write_dynstr_section_header(0);
    }
    w.write_symtab_section_header(num_local);
    w.write_strtab_section_header();
    w.write_shstrtab_section_header();
    drop(w);
    Ok(out)
}
