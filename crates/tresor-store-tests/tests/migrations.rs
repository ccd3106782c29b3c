//! Both engines know the same migration versions: a database moves between them along one history.

#[test]
fn both_engines_have_the_same_version_list() {
    let versions =
        |m: tresor_store_sql::Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
    let sqlite = versions(tresor_store_sqlite::migrator());
    let postgres = versions(tresor_store_postgres::migrator());
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    // Append-only numbering without gaps: 1, 2, 3, …
    let numbers: Vec<i64> = sqlite.iter().map(|(v, _)| *v).collect();
    assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>());
}
