//! `set_version` on JSONC fixtures, compared byte for byte: each
//! `<name>.<bump>.expected` is `<name>.json(c)` after that bump.

use camino::Utf8Path;
use version_check::{Bump, read_version, set_version};

#[test]
fn fixtures_change_only_the_version() {
    let dir = Utf8Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for entry in dir.read_dir_utf8().unwrap() {
        let expected_path = entry.unwrap().into_path();
        let Some(stem) = expected_path
            .file_name()
            .and_then(|name| name.strip_suffix(".expected"))
        else {
            continue;
        };
        let (name, bump) = stem.split_once('.').unwrap();
        let source = ["json", "jsonc"]
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .find(|path| path.is_file())
            .unwrap_or_else(|| panic!("no source for {expected_path}"));
        let text = std::fs::read_to_string(&source).unwrap();
        let current = read_version(&text)
            .unwrap()
            .map(|v| semver::Version::parse(&v).unwrap());
        let next = bump
            .parse::<Bump>()
            .unwrap()
            .apply(current.as_ref())
            .unwrap();
        let written = set_version(&text, &next).unwrap();
        let expected = std::fs::read_to_string(&expected_path).unwrap();
        assert_eq!(written, expected, "{source} bumped {bump}");
        assert_eq!(read_version(&written).unwrap(), Some(next.to_string()));
        checked += 1;
    }
    assert_eq!(checked, 4, "every fixture was checked");
}
