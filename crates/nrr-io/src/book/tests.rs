use super::*;

fn manifest(id: &str, period: &str) -> Manifest {
    Manifest {
        format: FORMAT,
        release: id.to_string(),
        period: period.to_string(),
        created_at: "2026-01-05T10:00:00Z".into(),
        tool: "nrr test".into(),
        window_args: vec![],
        inputs: vec![],
        rows: serde_json::Value::Null,
        figures: serde_json::Value::Null,
        supersedes: None,
        files: vec![],
    }
}

fn publish(book: &Book, period: &str, body: &str) -> Release {
    let _lock = book.lock().expect("lock");
    let id = book.next_id(period).expect("id");
    let stage = book.stage(&id).expect("stage");
    stage
        .write("inputs/items.csv", body.as_bytes())
        .expect("write");
    stage.write("report.json", b"{}\n").expect("write");
    stage.commit(manifest(&id, period)).expect("commit")
}

#[test]
fn sha256_of_abc() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn releases_are_numbered_per_period_and_found_by_id() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path().join("book"));
    assert!(book.releases().expect("none").is_empty());
    let a = publish(&book, "2025-Q4", "a");
    let b = publish(&book, "2025-Q4", "b");
    let c = publish(&book, "2025-11", "c");
    assert_eq!(
        [a.id(), b.id(), c.id()],
        ["2025-Q4-r1", "2025-Q4-r2", "2025-11-r1"]
    );
    let found = book.find("2025-Q4-r2").expect("found");
    assert_eq!(found.hash, b.hash);
    assert_eq!(
        book.find(&b.dir.display().to_string())
            .expect("by path")
            .hash,
        b.hash
    );
    let err = book.find("2025-Q3-r1").expect_err("absent");
    assert!(
        err.to_string()
            .contains("2025-11-r1, 2025-Q4-r1, 2025-Q4-r2"),
        "{err}"
    );
    assert!(a.check().expect("check").is_empty());
    assert_eq!(
        a.manifest
            .files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>(),
        ["inputs/items.csv", "report.json"]
    );
}

#[test]
fn check_names_edited_missing_and_unexpected_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let r = publish(&book, "2025-Q4", "a,b\n");
    fs::write(r.dir.join("inputs/items.csv"), "a,c\n").expect("edit");
    fs::remove_file(r.dir.join("report.json")).expect("remove");
    fs::write(r.dir.join("inputs/extra.csv"), "x").expect("add");
    let damage = r.check().expect("check");
    assert_eq!(
        damage,
        [
            Damage::Edited("inputs/items.csv".into()),
            Damage::Missing("report.json".into()),
            Damage::Unexpected("inputs/extra.csv".into()),
        ]
    );
}

#[test]
fn a_staging_directory_is_no_release_and_is_cleared_by_the_next_writer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    publish(&book, "2025-Q4", "a");
    // What a killed writer leaves: a staging directory, complete or not.
    let left = tmp.path().join("releases/.tmp-2025-Q4-r2-99999");
    fs::create_dir_all(left.join("inputs")).expect("mkdir");
    fs::write(left.join(MANIFEST), "{\"format\":1").expect("partial");
    assert_eq!(book.releases().expect("list").len(), 1);
    assert!(book.find(".tmp-2025-Q4-r2-99999").is_err());
    let r = publish(&book, "2025-Q4", "b");
    assert_eq!(r.id(), "2025-Q4-r2");
    assert!(!left.exists());
}

#[test]
fn signoffs_are_once_per_role_and_none_after_final() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let r = publish(&book, "2025-Q4", "a");
    let s = Signoff {
        release: r.id().to_string(),
        release_hash: r.hash.clone(),
        role: "finance".into(),
        by: "Dana".into(),
        at: "2026-01-06T09:00:00Z".into(),
        notes: vec![],
        public_key: None,
        signature: None,
    };
    r.add_signoff(&s).expect("first");
    let again = r.add_signoff(&s).expect_err("second");
    assert!(
        again
            .to_string()
            .contains("signed off release 2025-Q4-r1 already"),
        "{again}"
    );
    let signoffs = r.signoffs().expect("read");
    assert_eq!(signoffs, [("finance".to_string(), s.clone())]);
    let sfile = r.dir.join("signoffs/finance.json");
    r.make_final(&FinalRecord {
        release: r.id().into(),
        release_hash: r.hash.clone(),
        at: "2026-01-07T09:00:00Z".into(),
        signoffs: vec![digest_file(&sfile, "signoffs/finance.json").expect("digest")],
    })
    .expect("final");
    let late = r
        .add_signoff(&Signoff {
            role: "success".into(),
            ..s
        })
        .expect_err("final");
    assert!(late.to_string().contains("is final"), "{late}");
    assert!(r.check().expect("check").is_empty());
    fs::write(&sfile, "{}").expect("tamper");
    let damage = r.check().expect("check");
    assert!(damage.contains(&Damage::Edited("signoffs/finance.json".into())));
    assert!(damage.contains(&Damage::Signoff(
        "signoffs/finance.json: not a valid record: missing field `release` at line 1 column 2"
            .into()
    )));
}

fn signoff(r: &Release, role: &str) -> Signoff {
    Signoff {
        release: r.id().to_string(),
        release_hash: r.hash.clone(),
        role: role.into(),
        by: "Dana".into(),
        at: "2026-01-06T09:00:00Z".into(),
        notes: vec![],
        public_key: None,
        signature: None,
    }
}

/// A sign-off copied to another role's name, a stray file in signoffs/, and a sign-off added
/// after the release went final are each named.
#[test]
fn check_names_sign_offs_that_do_not_hold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let r = publish(&book, "2025-Q4", "a");
    r.add_signoff(&signoff(&r, "finance")).expect("finance");
    let dir = r.dir.join(SIGNOFFS);
    fs::copy(dir.join("finance.json"), dir.join("success.json")).expect("copy");
    fs::write(dir.join("README.txt"), "x").expect("stray");
    // What an interrupted sign-off leaves is no damage.
    fs::write(dir.join(".tmp-marketing.json-4242"), "{").expect("leftover");
    let damage = r.check().expect("check");
    assert_eq!(
        damage,
        [
            Damage::Unexpected("signoffs/README.txt".into()),
            Damage::Signoff("signoffs/success.json: is a sign-off of the role \"finance\"".into()),
        ]
    );
    fs::remove_file(dir.join("success.json")).expect("remove");
    fs::remove_file(dir.join("README.txt")).expect("remove");
    let rel = "signoffs/finance.json";
    r.make_final(&FinalRecord {
        release: r.id().into(),
        release_hash: r.hash.clone(),
        at: "2026-01-07T09:00:00Z".into(),
        signoffs: vec![digest_file(&r.dir.join(rel), rel).expect("digest")],
    })
    .expect("final");
    assert!(r.check().expect("check").is_empty());
    let late = serde_json::to_vec(&signoff(&r, "marketing")).expect("json");
    fs::write(dir.join("marketing.json"), late).expect("late");
    assert_eq!(
        r.check().expect("check"),
        [Damage::Signoff("signoffs/marketing.json: not among the sign-offs final.json records (added or changed after the release went final)".into())]
    );
}

/// Of two exclusive writers of one file, one writes and the other is refused: never an
/// overwrite.
#[test]
fn an_exclusive_write_never_overwrites() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("signoffs/finance.json");
    write_atomic(&path, b"first", true).expect("first");
    let err = write_atomic(&path, b"second", true).expect_err("second");
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(fs::read(&path).expect("read"), b"first");
    let names: Vec<_> = fs::read_dir(tmp.path().join("signoffs"))
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["finance.json"]);
}

/// A staging directory, or a release directory renamed, is not read as a release; a path
/// inside a book belongs to that book.
#[test]
fn only_a_release_under_its_own_name_is_a_release() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path().join("book"));
    let r = publish(&book, "2025-Q4", "a");
    let staging = tmp.path().join("book/releases/.tmp-2025-Q4-r2-77");
    let renamed = tmp.path().join("book/releases/2025-Q4-r9");
    for d in [&staging, &renamed] {
        fs::create_dir_all(d).expect("mkdir");
        fs::copy(r.dir.join(MANIFEST), d.join(MANIFEST)).expect("copy");
    }
    let err = Release::open(&staging).expect_err("staging");
    assert!(err.to_string().contains("being written"), "{err}");
    let err = Release::open(&renamed).expect_err("renamed");
    assert!(
        err.to_string().contains("its directory is \"2025-Q4-r9\""),
        "{err}"
    );
    let (owner, found) = Book::at(tmp.path().join("elsewhere"))
        .owning(&r.dir.display().to_string())
        .expect("by path");
    assert_eq!(found.hash, r.hash);
    assert_eq!(
        owner.root().canonicalize().expect("root"),
        tmp.path().join("book").canonicalize().expect("book")
    );
}
