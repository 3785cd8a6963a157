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
        journal_head: None,
        files: vec![],
    }
}

/// Makes a sealed file or directory writable again, so a test can damage it as its owner
/// could (root needs none of this).
fn writable(path: &Path) {
    files::unseal(path, path.is_dir()).expect("unseal");
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
    writable(&r.dir);
    writable(&r.dir.join("inputs"));
    writable(&r.dir.join("inputs/items.csv"));
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
    let lock = book.lock().expect("lock");
    book.add_signoff(&lock, &r, &s).expect("first");
    let again = book.add_signoff(&lock, &r, &s).expect_err("second");
    assert!(
        again
            .to_string()
            .contains("signed off release 2025-Q4-r1 already"),
        "{again}"
    );
    let signoffs = r.signoffs().expect("read");
    assert_eq!(signoffs, [("finance".to_string(), s.clone())]);
    let sfile = r.dir.join("signoffs/finance.json");
    book.make_final(
        &lock,
        &r,
        &FinalRecord {
            release: r.id().into(),
            release_hash: r.hash.clone(),
            at: "2026-01-07T09:00:00Z".into(),
            signoffs: vec![digest_file(&sfile, "signoffs/finance.json").expect("digest")],
        },
    )
    .expect("final");
    let late = book
        .add_signoff(
            &lock,
            &r,
            &Signoff {
                role: "success".into(),
                ..s
            },
        )
        .expect_err("final");
    assert!(late.to_string().contains("is final"), "{late}");
    assert!(r.check().expect("check").is_empty());
    writable(&sfile);
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
    let lock = book.lock().expect("lock");
    book.add_signoff(&lock, &r, &signoff(&r, "finance"))
        .expect("finance");
    let dir = r.dir.join(SIGNOFFS);
    writable(&dir);
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
    book.make_final(
        &lock,
        &r,
        &FinalRecord {
            release: r.id().into(),
            release_hash: r.hash.clone(),
            at: "2026-01-07T09:00:00Z".into(),
            signoffs: vec![digest_file(&r.dir.join(rel), rel).expect("digest")],
        },
    )
    .expect("final");
    assert!(r.check().expect("check").is_empty());
    writable(&dir);
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

/// Signs every role off and makes `r` final.
fn make_final(book: &Book, r: &Release) {
    let lock = book.lock().expect("lock");
    let mut digests = Vec::new();
    for role in ROLES {
        let path = book
            .add_signoff(&lock, r, &signoff(r, role))
            .expect("signoff");
        let rel = format!("signoffs/{role}.json");
        digests.push(digest_file(&path, &rel).expect("digest"));
    }
    book.make_final(
        &lock,
        r,
        &FinalRecord {
            release: r.id().into(),
            release_hash: r.hash.clone(),
            at: "2026-01-07T09:00:00Z".into(),
            signoffs: digests,
        },
    )
    .expect("final");
}

fn texts(a: &Audit) -> Vec<String> {
    a.damage.iter().map(|f| f.text.clone()).collect()
}

/// Every write is journaled; the journal names a final record removed, a release not in it,
/// and a release whose manifest changed; a removed line breaks the chain.
#[test]
fn the_journal_records_every_write_and_names_what_the_book_lost() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let r = publish(&book, "2025-Q4", "a");
    assert_eq!(r.manifest.journal_head.as_deref(), Some(journal::GENESIS));
    make_final(&book, &r);
    let j = book.journal().expect("read").expect("a journal");
    let kinds: Vec<&str> = j.events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds, ["publish", "signoff", "signoff", "signoff", "final"]);
    let audit = book.audit().expect("audit");
    assert!(audit.damage.is_empty(), "{:?}", audit.damage);
    assert!(audit.finals.contains("2025-Q4-r1"));
    // final.json removed: the release reads as a draft, the journal says it is final.
    writable(&r.dir);
    fs::remove_file(r.dir.join(FINAL)).expect("rm");
    let audit = book.audit().expect("audit");
    assert!(audit.finals.contains("2025-Q4-r1"));
    assert_eq!(
        texts(&audit),
        ["releases/2025-Q4-r1/final.json: missing, but journal.jsonl line 5 records it (2025-Q4-r1 was made final)"]
    );
    // A release dropped into the book by hand is in no journal line.
    let stray = tmp.path().join("releases/2025-11-r1");
    fs::create_dir_all(&stray).expect("mkdir");
    fs::write(
        stray.join(MANIFEST),
        to_json(&manifest("2025-11-r1", "2025-11")),
    )
    .expect("write");
    let audit = book.audit().expect("audit");
    assert!(
        texts(&audit).contains(
            &"releases/2025-11-r1: not in journal.jsonl (no nrr publish recorded it)".to_string()
        ),
        "{:?}",
        audit.damage
    );
    // A line removed from the middle breaks the chain, and no writer writes after it.
    let path = book.journal_path();
    let text = fs::read_to_string(&path).expect("journal");
    let kept: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    fs::write(&path, kept).expect("cut");
    let audit = book.audit().expect("audit");
    assert!(
        audit.damage[0].text.starts_with("journal.jsonl line"),
        "{:?}",
        audit.damage
    );
    let _lock = book.lock().expect("lock");
    let stage = book.stage("2025-Q4-r2").expect("stage");
    let err = stage
        .commit(manifest("2025-Q4-r2", "2025-Q4"))
        .expect_err("refused");
    assert!(err.to_string().contains("journal is damaged"), "{err}");
}

/// A writer killed after journaling a release, before renaming it into place: no damage, and
/// the next writer puts it in place.
#[test]
fn a_journaled_release_left_in_staging_is_completed_by_the_next_writer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let r = publish(&book, "2025-Q4", "a");
    let staged = tmp.path().join("releases/.tmp-2025-Q4-r1-4242");
    fs::rename(&r.dir, &staged).expect("as if never renamed");
    let audit = book.audit().expect("audit");
    assert!(audit.damage.is_empty(), "{:?}", audit.damage);
    assert!(
        audit.notes[0].contains("interrupted write"),
        "{:?}",
        audit.notes
    );
    drop(book.lock().expect("lock"));
    assert!(r.dir.join(MANIFEST).is_file() && !staged.exists());
    assert!(book.audit().expect("audit").damage.is_empty());
}

/// A book written before the journal: verified on final.json alone, and given a journal
/// recording its releases as found by the next writer. Once releases name a journal, a
/// missing journal is damage and stops writers.
#[test]
fn a_book_without_a_journal_is_adopted_unless_its_releases_name_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let old = tmp.path().join("releases/2025-Q3-r1");
    fs::create_dir_all(&old).expect("mkdir");
    fs::write(
        old.join(MANIFEST),
        to_json(&manifest("2025-Q3-r1", "2025-Q3")),
    )
    .expect("write");
    let audit = book.audit().expect("audit");
    assert!(audit.damage.is_empty() && audit.notes[0].starts_with("no journal.jsonl"));
    let lock = book.lock().expect("lock");
    assert_eq!(lock.adopted, ["2025-Q3-r1"]);
    drop(lock);
    let j = book.journal().expect("read").expect("started");
    assert_eq!(j.events[0].event, "adopt");
    publish(&book, "2025-Q4", "a");
    assert!(book.audit().expect("audit").damage.is_empty());
    fs::remove_file(book.journal_path()).expect("rm");
    let audit = book.audit().expect("audit");
    assert_eq!(
        audit.damage[0].text.split(" (").next(),
        Some("journal.jsonl: missing, but release 2025-Q4-r1 was published with it")
    );
    let err = book.lock().expect_err("refused");
    assert!(err.to_string().contains("the book is damaged"), "{err}");
}

/// A damaged release.json is named, not an error for the rest of the book: the others are
/// listed, and the period's next id counts it.
#[test]
fn a_damaged_manifest_is_named_and_the_rest_of_the_book_reads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let bad = publish(&book, "2023-Q4", "a");
    publish(&book, "2024-01", "b");
    writable(&bad.dir);
    writable(&bad.dir.join(MANIFEST));
    fs::write(bad.dir.join(MANIFEST), "garbage").expect("garble");
    let (ok, unreadable) = book.scan().expect("scan");
    assert_eq!(ok.len(), 1);
    assert_eq!(unreadable[0].id, "2023-Q4-r1");
    assert_eq!(unreadable[0].period(), Some("2023-Q4"));
    assert_eq!(book.next_id("2023-Q4").expect("id"), "2023-Q4-r2");
    let audit = book.audit().expect("audit");
    assert!(
        texts(&audit)[0].starts_with("releases/2023-Q4-r1/release.json: not a valid record"),
        "{:?}",
        audit.damage
    );
    assert_eq!(audit.damage_of(|id| id.starts_with("2024-01")).len(), 0);
}

/// A release's files and directories are read-only once written, and a sign-off still goes
/// in (its directories opened for it and sealed again).
#[cfg(unix)]
#[test]
fn a_release_is_read_only_once_written() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let book = Book::at(tmp.path());
    let r = publish(&book, "2025-Q4", "a");
    let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&r.dir), 0o555);
    assert_eq!(mode(&r.dir.join("inputs")), 0o555);
    assert_eq!(mode(&r.dir.join(MANIFEST)), 0o444);
    assert_eq!(mode(&r.dir.join("inputs/items.csv")), 0o444);
    make_final(&book, &r);
    assert_eq!(mode(&r.dir), 0o555);
    assert_eq!(mode(&r.dir.join(SIGNOFFS)), 0o555);
    assert_eq!(mode(&r.dir.join(FINAL)), 0o444);
    assert_eq!(mode(&r.dir.join("signoffs/finance.json")), 0o444);
    assert!(r.check().expect("check").is_empty());
}
