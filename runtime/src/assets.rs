//! Read-only files embedded in an executable with `semac --include`. The file-reading
//! builtins look a relative path up here first and fall back to the file system.

use std::sync::OnceLock;

use hashbrown::HashMap;

/// Embedded files by canonical relative path (`data/a.txt`).
pub struct Assets {
    files: HashMap<String, &'static [u8]>,
}

static ASSETS: OnceLock<Assets> = OnceLock::new();

/// Installs the executable's assets; called once, before the program runs.
pub fn install(files: impl IntoIterator<Item = (String, &'static [u8])>) {
    let assets = Assets { files: files.into_iter().collect() };
    // A second install cannot happen: only the executable start-up path calls this.
    let _ = ASSETS.set(assets);
}

/// The embedded file a program path names, if any. Absolute paths and paths that go up
/// with `..` never name an asset.
pub fn file(path: &str) -> Option<&'static [u8]> {
    let assets = ASSETS.get()?;
    assets.files.get(canonical(path)?.as_str()).copied()
}

/// Whether the path names an embedded file or a directory holding one.
pub fn exists(path: &str) -> bool {
    let Some(assets) = ASSETS.get() else { return false };
    let Some(key) = canonical(path) else { return false };
    assets.files.contains_key(key.as_str()) || {
        let dir = format!("{key}/");
        assets.files.keys().any(|k| k.starts_with(&dir))
    }
}

/// The asset key for a program path, as `bundle_format::embed::check_asset_path`
/// canonicalises it at build time.
fn canonical(path: &str) -> Option<String> {
    bundle_format::embed::check_asset_path(path).ok()
}
