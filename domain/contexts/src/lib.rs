//! The bounded contexts, assembled. The edge (`api`, `jobs`, the binary) reaches every
//! context through this crate, and [`registry`] is where each context registers itself:
//! adding a context is one line here.

pub use tianguis_kernel::*;
pub use {
    tianguis_automation as automation, tianguis_billing as billing, tianguis_commerce as commerce,
    tianguis_crm as crm, tianguis_documents as documents, tianguis_iot as iot,
    tianguis_marketing as marketing, tianguis_messaging as messaging,
    tianguis_scheduling as scheduling, tianguis_tenancy as tenancy,
};

/// Every context's job kinds, consumers, sweeps and hooks, with `settings` (each context's
/// settings, provided by the wiring) added first.
pub fn registry(settings: impl FnOnce(&mut Registry)) -> Registry {
    let mut registry = Registry::default();
    settings(&mut registry);
    jobs::register(&mut registry);
    tenancy::register(&mut registry);
    crm::register(&mut registry);
    billing::register(&mut registry);
    messaging::register(&mut registry);
    marketing::register(&mut registry);
    iot::register(&mut registry);
    automation::register(&mut registry);
    commerce::register(&mut registry);
    scheduling::register(&mut registry);
    documents::register(&mut registry);
    registry
}

#[cfg(test)]
mod crate_graph {
    //! The contexts' crates may use only the contexts below them, so the dependency cycles the
    //! single domain crate had cannot come back. A new context adds its row here.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Which of the project's crates each domain crate may depend on.
    const ALLOWED: &[(&str, &[&str])] = &[
        ("kernel", &["entity"]),
        ("tenancy", &["entity", "kernel"]),
        // Contexts file the documents they print among their records' files.
        ("crm", &["entity", "kernel", "tenancy", "documents"]),
        (
            "billing",
            // Stripe's webhook hands payments back to the orders, cards and events they name.
            &[
                "entity",
                "kernel",
                "tenancy",
                "crm",
                "commerce",
                "scheduling",
                "documents",
            ],
        ),
        ("messaging", &["entity", "kernel", "tenancy", "crm"]),
        (
            "marketing",
            &["entity", "kernel", "tenancy", "crm", "messaging"],
        ),
        ("iot", &["entity", "kernel", "tenancy"]),
        // Workflows act through the contexts below them: tasks, messages, segments, devices.
        (
            "automation",
            &[
                "entity",
                "kernel",
                "tenancy",
                "crm",
                "messaging",
                "marketing",
                "iot",
            ],
        ),
        (
            "commerce",
            &[
                "entity",
                "kernel",
                "tenancy",
                "crm",
                "messaging",
                "documents",
            ],
        ),
        (
            "scheduling",
            &[
                "entity",
                "kernel",
                "tenancy",
                "crm",
                "messaging",
                "documents",
            ],
        ),
        // Files are filed under records of other contexts, named by kind and id.
        ("documents", &["entity", "kernel"]),
        (
            "contexts",
            &[
                "kernel",
                "tenancy",
                "crm",
                "billing",
                "messaging",
                "marketing",
                "iot",
                "automation",
                "commerce",
                "scheduling",
                "documents",
            ],
        ),
    ];

    /// The `tianguis-*` crates a manifest depends on (normal and dev dependencies).
    fn project_dependencies(manifest: &str) -> BTreeSet<String> {
        let mut in_dependencies = false;
        let mut found = BTreeSet::new();
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                in_dependencies = line.ends_with("dependencies]");
                continue;
            }
            if let Some(name) = line
                .strip_prefix("tianguis-")
                .filter(|_| in_dependencies)
                .and_then(|rest| rest.split(['.', ' ', '=']).next())
            {
                found.insert(name.to_owned());
            }
        }
        found
    }

    #[test]
    fn domain_crates_depend_only_on_the_contexts_below_them() {
        let domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
        let mut checked = 0;
        for entry in std::fs::read_dir(&domain).expect("the domain folder") {
            let dir = entry.expect("a domain entry").path();
            let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
                continue;
            };
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let Some(may_use) = allowed.get(name) else {
                panic!("domain/{name} is a new crate: add the crates it may use to ALLOWED");
            };
            for dependency in project_dependencies(&manifest) {
                assert!(
                    may_use.contains(&dependency.as_str()),
                    "domain/{name} depends on tianguis-{dependency}, which it may not use"
                );
            }
            checked += 1;
        }
        assert_eq!(checked, ALLOWED.len(), "every domain crate was read");
    }

    #[test]
    fn the_manifest_reader_finds_project_dependencies() {
        let manifest = "[package]\nname = \"tianguis-x\"\n\n[dependencies]\ntianguis-kernel.workspace = true\nserde.workspace = true\ntianguis-crm = { path = \"../crm\" }\n\n[dev-dependencies]\ntianguis-billing.workspace = true\n";
        assert_eq!(
            project_dependencies(manifest),
            BTreeSet::from(["kernel".to_owned(), "crm".to_owned(), "billing".to_owned()])
        );
    }
}

#[cfg(test)]
mod timestamps {
    //! `created_at` and `updated_at` are written in one place, `kernel::db` (`stamp`,
    //! `TenantTx::insert`/`update`, `Touched`), so no write can forget or fake them.

    use std::path::{Path, PathBuf};

    const BY_HAND: &[&str] = &[
        "created_at: Set(",
        "updated_at: Set(",
        "created_at = Set(",
        "updated_at = Set(",
        "Column::UpdatedAt, Expr::value(",
    ];

    fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn no_domain_code_sets_timestamps_by_hand() {
        let domain = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&domain).expect("the domain folder") {
            let src = entry.expect("a domain entry").path().join("src");
            if src.is_dir() {
                sources(&src, &mut files);
            }
        }
        assert!(files.len() > 50, "the domain's sources were found");
        let this_file = Path::new(file!()).file_name();
        for file in files.iter().filter(|f| f.file_name() != this_file) {
            let text = std::fs::read_to_string(file).expect("a source file");
            for pattern in BY_HAND {
                // `event_created_at` is a field of its own, not the row's timestamp.
                let by_hand = text.match_indices(pattern).any(|(at, _)| {
                    !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                });
                assert!(
                    !by_hand,
                    "{} writes a timestamp by hand ({pattern}); use kernel::db's stamp, \
                     TenantTx::insert/update or Touched",
                    file.display()
                );
            }
        }
    }
}
