//! Cases for listings: case-insensitive substring search with LIKE's wildcards taken literally, name order,
//! paging and totals.

use tresor_core::store::ListFilter;
use tresor_core::{Group, Store, User};

use crate::TestDb;
use crate::sample::{self, HASH};

fn filter(q: &str, offset: u32, limit: u32) -> ListFilter {
    ListFilter { q: (!q.is_empty()).then(|| q.to_owned()), offset, limit }
}

async fn user_names(store: &dyn Store, f: ListFilter) -> (Vec<String>, u64) {
    let page = store.list_users(&f).await.unwrap();
    (page.items.into_iter().map(|u: User| u.account).collect(), page.total)
}

async fn group_names(store: &dyn Store, f: ListFilter) -> (Vec<String>, u64) {
    let page = store.list_groups(&f).await.unwrap();
    (page.items.into_iter().map(|g: Group| g.name).collect(), page.total)
}

pub async fn user_listing_filters_pages_and_escapes(db: TestDb) {
    let store = db.store();
    let people = [
        sample::person("carol", "Carol Smith", "carol@example.org", "Sales"),
        sample::person("Bob", "Bob Jones", "bob@example.org", "R_D"),
        sample::person("dave", "Dave Smithers", "dave@example.com", "RxD"),
        sample::person("eve", "Ève Ärger", "eve@example.org", "100% Sales"),
        sample::person("alice", "Alice Liddell", "alice@wonder.land", "1000 Sales"),
        sample::person("frank\\", "Frank", "frank@example.org", ""),
    ];
    for p in &people {
        store.insert_user(p, HASH, &[], 100).await.unwrap();
    }
    store.insert_user(&sample::super_admin(), HASH, &[], 100).await.unwrap();
    let all = ["admin", "alice", "Bob", "carol", "dave", "eve", "frank\\"];

    assert_eq!(user_names(&*store, filter("", 0, 0)).await, (all.map(String::from).to_vec(), 7), "by name key");
    // Case-insensitive, over account, full name, email and department.
    assert_eq!(user_names(&*store, filter("SMITH", 0, 0)).await.0, ["carol", "dave"]);
    assert_eq!(user_names(&*store, filter("bOb", 0, 0)).await.0, ["Bob"]);
    assert_eq!(user_names(&*store, filter("example.com", 0, 0)).await.0, ["dave"]);
    assert_eq!(user_names(&*store, filter("sales", 0, 0)).await.0, ["alice", "carol", "eve"]);
    assert_eq!(user_names(&*store, filter("äRGER", 0, 0)).await.0, ["eve"], "beyond ASCII too");
    // `%`, `_` and `\` are characters, not wildcards.
    assert_eq!(user_names(&*store, filter("0% s", 0, 0)).await.0, ["eve"]);
    assert_eq!(user_names(&*store, filter("r_d", 0, 0)).await.0, ["Bob"]);
    assert_eq!(user_names(&*store, filter("%", 0, 0)).await.0, ["eve"]);
    assert_eq!(user_names(&*store, filter("_", 0, 0)).await.0, ["Bob"]);
    assert_eq!(user_names(&*store, filter("\\", 0, 0)).await.0, ["frank\\"]);
    assert_eq!(user_names(&*store, filter("nobody", 0, 0)).await, (vec![], 0));

    // Pages: the total counts every match, whatever the page.
    assert_eq!(user_names(&*store, filter("", 1, 2)).await, (vec!["alice".into(), "Bob".into()], 7));
    assert_eq!(user_names(&*store, filter("", 6, 2)).await, (vec!["frank\\".into()], 7));
    assert_eq!(user_names(&*store, filter("", 50, 2)).await, (vec![], 7));
    assert_eq!(user_names(&*store, filter("o", 1, 1)).await, (vec!["Bob".into()], 6), "all but admin");
}

pub async fn group_listing_filters_pages_and_escapes(db: TestDb) {
    let store = db.store();
    let mut groups = ["Zeta", "alpha", "Beta_1", "beta%2", "Gamma"].map(sample::group);
    groups[0].description = "the LAST one".into();
    groups[4].description = "Not the last".into();
    groups[1].email = "findme@example.org".into();
    for g in &groups {
        store.insert_group(g).await.unwrap();
    }
    // By name key, code point order: '%' sorts before '_'.
    let (names, total) = group_names(&*store, filter("", 0, 0)).await;
    assert_eq!(
        (names, total),
        (vec!["alpha".into(), "beta%2".into(), "Beta_1".into(), "Gamma".into(), "Zeta".into()], 5)
    );
    assert_eq!(group_names(&*store, filter("LAST", 0, 0)).await.0, ["Gamma", "Zeta"], "name or description");
    assert_eq!(group_names(&*store, filter("findme", 0, 0)).await.0, Vec::<String>::new(), "email is not searched");
    assert_eq!(group_names(&*store, filter("a_", 0, 0)).await.0, ["Beta_1"]);
    assert_eq!(group_names(&*store, filter("a%", 0, 0)).await.0, ["beta%2"]);
    assert_eq!(group_names(&*store, filter("BETA", 1, 5)).await, (vec!["Beta_1".into()], 2));
}
