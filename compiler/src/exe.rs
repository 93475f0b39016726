//! `semac --exe`: a single-file executable is a copy of a runtime binary with one more
//! ELF section, `.sema_payload`, holding the bundle and the `--include`d assets
//! (`bundle_format::embed`; layout in `docs/executables.md`).
//!
//! A named section, rather than bytes appended after the ELF image, survives `strip`
//! and is what code-signing tools expect. The runtime must carry a `.sema_runtime`
//! section whose versions match what this `semac` writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bundle_format::embed::{check_asset_path, write_payload, Asset, RuntimeId, PAYLOAD_SECTION, RUNTIME_SECTION};
use object::build::elf::{Builder, SectionData};
use sema_runtime::builtins::{self, Library};

/// Directory nesting below an `--include`d directory that is followed, so that a
/// symbolic-link cycle ends with an error instead of running forever.
const MAX_INCLUDE_DEPTH: usize = 32;

/// The smallest runtime that has every builtin the program's symbols name. A quoted
/// symbol of such a name counts too: a larger runtime is never wrong, only larger.
pub fn library_needed(bundle: &bundle_format::Bundle) -> Library {
    bundle.symbols.iter().map(|name| builtins::library_of(name)).max().unwrap_or(Library::Core)
}

/// The runtime installed beside this `semac` for a program that needs `library`:
/// `semarun-lite`, `semarun-std` or `semarun`, the smallest one there that suffices.
pub fn default_runtime(library: Library) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot locate semac itself to find semarun beside it: {e}"))?;
    let beside = |name: &str| me.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let smaller = [(Library::Core, "semarun-lite"), (Library::Standard, "semarun-std")];
    for (carries, name) in smaller {
        if library <= carries && beside(name).is_file() {
            return Ok(beside(name));
        }
    }
    let runtime = beside("semarun");
    if !runtime.is_file() {
        return Err(format!("no semarun beside semac (looked for {}); name one with --runtime PATH", runtime.display()));
    }
    Ok(runtime)
}

/// Reads the files and directories named by `--include`, relative to the program's
/// directory, into sorted assets keyed by their canonical relative path.
pub fn collect_assets(program_dir: &Path, includes: &[String]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut assets = BTreeMap::new();
    let dir = if program_dir.as_os_str().is_empty() { Path::new(".") } else { program_dir };
    let root = std::fs::canonicalize(dir).map_err(|e| format!("cannot read the program's directory {}: {e}", dir.display()))?;
    for include in includes {
        let key = check_asset_path(include).map_err(|problem| format!("--include {include}: {problem}"))?;
        let path = program_dir.join(&key);
        let metadata = std::fs::metadata(&path).map_err(|e| format!("--include {include}: cannot read {}: {e}", path.display()))?;
        check_inside(&root, &path).map_err(|problem| format!("--include {include}: {problem}"))?;
        if metadata.is_dir() {
            add_directory(&root, &path, &key, 0, &mut assets)?;
        } else {
            add_file(&path, key, &mut assets)?;
        }
    }
    Ok(assets)
}

/// Refuses a path that leads outside the program's directory `root` (canonical)
/// through a symbolic link: an included directory must not carry `/etc/passwd` in.
fn check_inside(root: &Path, path: &Path) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if target.starts_with(root) {
        return Ok(());
    }
    Err(format!(
        "{} leads outside the program's directory (to {}); only files under it are embedded",
        path.display(),
        target.display()
    ))
}

fn add_file(path: &Path, key: String, assets: &mut BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    let file = sema_runtime::loader::open_regular_file(path).map_err(|e| format!("cannot read asset {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).map_err(|e| format!("cannot read asset {}: {e}", path.display()))?;
    assets.insert(key, bytes);
    Ok(())
}

fn add_directory(root: &Path, dir: &Path, key: &str, depth: usize, assets: &mut BTreeMap<String, Vec<u8>>) -> Result<(), String> {
    if depth > MAX_INCLUDE_DEPTH {
        return Err(format!("{} is nested more than {MAX_INCLUDE_DEPTH} directories deep (a symbolic-link cycle?)", dir.display()));
    }
    let unreadable = |e: std::io::Error| format!("cannot read directory {}: {e}", dir.display());
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let name = entry.file_name().into_string().map_err(|name| format!("{}: the name {name:?} is not UTF-8", dir.display()))?;
        entries.push((name, entry.path()));
    }
    entries.sort();
    for (name, path) in entries {
        let child = check_asset_path(&format!("{key}/{name}")).map_err(|problem| format!("{}: {problem}", path.display()))?;
        let metadata = std::fs::metadata(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        check_inside(root, &path)?;
        if metadata.is_dir() {
            add_directory(root, &path, &child, depth + 1, assets)?;
        } else {
            add_file(&path, child, assets)?;
        }
    }
    Ok(())
}

/// The executable: `runtime` (the bytes of a `semarun` binary) with the payload made
/// of `bundle` and `assets` added as a section. Checks that `runtime` is a runtime
/// this `semac` can embed into; `runtime_name` is how errors name it.
pub fn build_executable(
    runtime: &[u8],
    runtime_name: &str,
    bundle: &[u8],
    run_options: &[&str],
    assets: &BTreeMap<String, Vec<u8>>,
    key: Option<&bundle_format::sign::SecretKey>,
) -> Result<Vec<u8>, String> {
    let mut builder = Builder::read(runtime).map_err(|_| {
        format!("{runtime_name} is not an ELF executable: semac embeds programs only into ELF runtimes (Linux and other ELF systems)")
    })?;
    check_runtime(&builder, runtime_name)?;
    let assets: Vec<Asset<'_>> = assets.iter().map(|(path, bytes)| Asset { path, bytes }).collect();
    let section = builder.sections.add();
    section.name = PAYLOAD_SECTION.as_bytes().into();
    section.sh_type = object::elf::SHT_PROGBITS;
    section.sh_addralign = 1;
    section.data = SectionData::Data(write_payload(bundle, run_options, &assets, key).into());
    let mut out = Vec::new();
    builder.write(&mut out).map_err(|e| format!("cannot write the executable from {runtime_name}: {e}"))?;
    Ok(out)
}

fn check_runtime(builder: &Builder<'_>, runtime_name: &str) -> Result<(), String> {
    let section_data = |name: &str| {
        builder.sections.iter().find(|s| &*s.name == name.as_bytes()).map(|s| match &s.data {
            SectionData::Data(bytes) => &**bytes,
            _ => &[][..],
        })
    };
    if section_data(PAYLOAD_SECTION).is_some() {
        return Err(format!("{runtime_name} already carries an embedded program; give a plain semarun with --runtime"));
    }
    let Some(id_bytes) = section_data(RUNTIME_SECTION) else {
        return Err(format!("{runtime_name} is not a semarun runtime (it has no {RUNTIME_SECTION} section)"));
    };
    let Some(id) = RuntimeId::decode(id_bytes) else {
        return Err(format!("{runtime_name} has a damaged {RUNTIME_SECTION} section"));
    };
    if !id.runs_current_output() {
        let current = RuntimeId::CURRENT;
        return Err(format!(
            "{runtime_name} is a semarun for bundle format versions {}..={} (payload version {}), but this semac writes bundle format {} (payload version {}); use the semarun released with this semac",
            id.min_format, id.max_format, id.payload_version, current.max_format, current.payload_version
        ));
    }
    Ok(())
}

/// Writes the executable with execute permission (where there is such a thing).
pub fn write_executable(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", path.display()))?;
    }
    Ok(())
}
