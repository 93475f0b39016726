//! Single-file executables: a runtime finds the program embedded in its own file.
//!
//! `semac --exe` copies a `semarun` and adds an ELF section holding the payload
//! (`bundle_format::embed`). At start the runtime opens its own executable and reads
//! only the ELF header, the section headers and their names; the payload itself is read
//! only when the section is there. A plain `semarun` has no such section and goes on
//! to its command line.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use bundle_format::embed::{RuntimeId, PAYLOAD_SECTION, RUNTIME_ID_LEN};
use object::read::elf::{FileHeader, SectionHeader};
use object::{FileKind, ReadCache};

/// Marks this binary as a runtime `semac --exe` may embed into, and which bundle
/// versions it runs. `semac` reads it from the file; the program never reads it, so
/// [`own_payload`] refers to it to keep the linker from discarding it.
#[used]
#[link_section = ".sema_runtime"]
static RUNTIME_ID: [u8; RUNTIME_ID_LEN] = RuntimeId::CURRENT.encode();

/// The payload embedded in the running executable, if it has one.
pub fn own_payload() -> Result<Option<Vec<u8>>, String> {
    std::hint::black_box(&RUNTIME_ID);
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate the running executable: {e}"))?;
    match read_section(&exe, PAYLOAD_SECTION)? {
        Section::Found(bytes) => Ok(Some(bytes)),
        Section::Absent | Section::NotElf => Ok(None),
    }
}

/// What `read_section` found.
pub enum Section {
    Found(Vec<u8>),
    /// An ELF file without that section.
    Absent,
    NotElf,
}

/// The bytes of the named section of an ELF file. Reads no more of the file than the
/// headers and that section.
pub fn read_section(path: &Path, name: &str) -> Result<Section, String> {
    let file = crate::loader::open_regular_file(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let cache = ReadCache::new(file);
    let found = match FileKind::parse(&cache) {
        Ok(FileKind::Elf64) => section_range::<object::elf::FileHeader64<object::Endianness>>(&cache, name)?,
        Ok(FileKind::Elf32) => section_range::<object::elf::FileHeader32<object::Endianness>>(&cache, name)?,
        _ => return Ok(Section::NotElf),
    };
    let Some((offset, size)) = found else { return Ok(Section::Absent) };
    let mut file = cache.into_inner();
    let damaged = |e: std::io::Error| format!("cannot read the {name} section of {}: {e}", path.display());
    let len = file.metadata().map_err(damaged)?.len();
    if offset.checked_add(size).is_none_or(|end| end > len) {
        return Err(format!("the {name} section of {} lies past the end of the file (the file is truncated)", path.display()));
    }
    let size = usize::try_from(size).map_err(|_| format!("the {name} section of {} is too large", path.display()))?;
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(size).map_err(|_| format!("the {name} section of {} is too large to load", path.display()))?;
    bytes.resize(size, 0);
    file.seek(SeekFrom::Start(offset)).and_then(|_| file.read_exact(&mut bytes)).map_err(damaged)?;
    Ok(Section::Found(bytes))
}

/// File offset and size of the named section.
fn section_range<Elf: FileHeader<Endian = object::Endianness>>(
    cache: &ReadCache<File>,
    name: &str,
) -> Result<Option<(u64, u64)>, String> {
    let unreadable = |e: object::Error| format!("the executable is damaged or truncated: its ELF section headers cannot be read ({e})");
    let header = Elf::parse(cache).map_err(unreadable)?;
    let endian = header.endian().map_err(unreadable)?;
    let sections = header.sections(endian, cache).map_err(unreadable)?;
    Ok(sections.section_by_name(endian, name.as_bytes()).and_then(|(_, section)| section.file_range(endian)))
}
