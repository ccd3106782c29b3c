//! Issue 3's figure: resolution for one user over a database of 100,000 entries in 2,000 folders with 1,000
//! grants and groups nested 5 deep — the full visible listing, target under 50 ms.
//!
//! Run with `cargo bench -p tresor-core --bench permissions`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tresor_core::clock::Timestamp;
use tresor_core::ids::{GroupId, UserId};
use tresor_core::permissions::{
    DatabaseId, DatabaseTree, EntryId, EntryNode, FolderId, FolderNode, Grant, Memberships, Object, Permission,
    PolicyState, Resolver, ServerPolicy, Setting, Subject,
};

const FOLDERS: usize = 2_000;
const ENTRIES: usize = 100_000;
const GRANTS: usize = 1_000;
const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);

/// A fixed-seed xorshift: the same database every run, without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

struct Scenario {
    tree: DatabaseTree,
    grants: Vec<Grant>,
    policy: ServerPolicy,
    members: Memberships,
    user: UserId,
    probe: Object,
}

fn scenario() -> Scenario {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let db = DatabaseId::random();

    // 20 top folders, 180 below them, 1,800 below those: 2,000 folders, 3 deep; 50 entries in each.
    let folder_ids: Vec<FolderId> = (0..FOLDERS).map(|_| FolderId::random()).collect();
    let parent_of = |i: usize| match i {
        0..20 => None,
        20..200 => Some(folder_ids[i % 20]),
        _ => Some(folder_ids[20 + i % 180]),
    };
    let folders: Vec<FolderNode> =
        (0..FOLDERS).map(|i| FolderNode { id: folder_ids[i], parent: parent_of(i), name: format!("f{i}") }).collect();
    let entries: Vec<EntryNode> =
        (0..ENTRIES).map(|i| EntryNode { id: EntryId::random(), folder: Some(folder_ids[i % FOLDERS]) }).collect();
    let tree = DatabaseTree::build(db, "Company", folders, entries).expect("a valid tree");

    // Ten chains of five nested groups; the user is in the innermost group of the first chain.
    let mut members = Memberships::new();
    let groups: Vec<GroupId> = (0..50).map(|_| GroupId::random()).collect();
    for (i, g) in groups.iter().enumerate() {
        members.add_group(*g, format!("g{i}"), i == 47);
        if i % 5 != 4 {
            members.add_group_to_group(*g, groups[i + 1]);
        }
    }
    let user = UserId::random();
    members.add_user_to_group(user, groups[0]);
    let mine = |rng: &mut Rng| Subject::Group(groups[rng.below(5)]);
    let others = |rng: &mut Rng| Subject::Group(groups[5 + rng.below(45)]);
    let below = [Permission::Access, Permission::Read, Permission::Modify, Permission::Add, Permission::Delete];

    let mut grants = Vec::with_capacity(GRANTS);
    let database = Object::Database(db);
    // General tab: access for every chain's outermost group; Read/Modify/Add/Delete left Undefined.
    for chain in 0..10 {
        grants.push(Grant::new(database, Subject::Group(groups[chain * 5 + 4]), Permission::Access, Setting::Allow));
    }
    grants.push(Grant::new(database, Subject::Group(groups[2]), Permission::Print, Setting::Allow));
    // Entries and folders tab: the user's groups may read 4 top folders and 20 middle ones, minus a few denials.
    for _ in 0..4 {
        grants.push(Grant::new(
            Object::Folder(folder_ids[rng.below(20)]),
            mine(&mut rng),
            Permission::Read,
            Setting::Allow,
        ));
    }
    for _ in 0..20 {
        let f = folder_ids[20 + rng.below(180)];
        grants.push(Grant::new(Object::Folder(f), mine(&mut rng), Permission::Read, Setting::Allow));
    }
    for _ in 0..15 {
        let f = folder_ids[200 + rng.below(1_800)];
        grants.push(Grant::new(Object::Folder(f), mine(&mut rng), Permission::Read, Setting::Deny));
    }
    for _ in 0..100 {
        let e = tree.entries()[rng.below(ENTRIES)].id;
        let setting = if rng.below(3) == 0 { Setting::Deny } else { Setting::Allow };
        grants.push(Grant::new(Object::Entry(e), mine(&mut rng), below[rng.below(below.len())], setting));
    }
    // Everyone else's grants, half on folders and half on entries.
    while grants.len() < GRANTS {
        let object = if grants.len() % 2 == 0 {
            Object::Folder(folder_ids[rng.below(FOLDERS)])
        } else {
            Object::Entry(tree.entries()[rng.below(ENTRIES)].id)
        };
        let setting = if rng.below(4) == 0 { Setting::Deny } else { Setting::Allow };
        grants.push(Grant::new(object, others(&mut rng), below[rng.below(below.len())], setting));
    }
    let mut policy = ServerPolicy::default();
    policy.set(Permission::Export, PolicyState::Disabled).expect("export is a server policy");
    let probe = Object::Entry(tree.entries()[ENTRIES / 2].id);
    Scenario { tree, grants, policy, members, user, probe }
}

fn bench(c: &mut Criterion) {
    let s = scenario();
    let resolver = Resolver::new(&s.tree, &s.grants, &s.policy, &s.members, s.user, NOW);
    let visible = resolver.visible_entries().len();
    assert!((10_000..90_000).contains(&visible), "the user should see a real share of the database, sees {visible}");

    c.bench_function("visible_tree: build resolver + full listing, 100k entries / 2k folders / 1k grants", |b| {
        b.iter(|| {
            let r = Resolver::new(&s.tree, &s.grants, &s.policy, &s.members, s.user, NOW);
            black_box(r.visible_tree().entries.len())
        })
    });
    c.bench_function("visible_entries: listing only, resolver built", |b| {
        b.iter(|| black_box(resolver.visible_entries().len()))
    });
    c.bench_function("Resolver::new only", |b| {
        b.iter(|| black_box(Resolver::new(&s.tree, &s.grants, &s.policy, &s.members, s.user, NOW).user()))
    });
    c.bench_function("rights on one entry, resolver built", |b| b.iter(|| black_box(resolver.rights(s.probe))));
    c.bench_function("DatabaseTree::build (once per database load)", |b| {
        b.iter(|| {
            let folders = s.tree.folders().to_vec();
            let entries = s.tree.entries().to_vec();
            black_box(DatabaseTree::build(s.tree.database(), "Company", folders, entries).is_ok())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
