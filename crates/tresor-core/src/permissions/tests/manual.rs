//! The seed manual's own example (User permissions → Permission management within a database) and the wording of
//! "View effective rights".

use super::*;
use Permission::{Access, Add, Delete, Export, Modify, Read};
use Setting::{Allow, Deny};

/// One central company database; each team sees only its folder.
struct Company {
    w: World,
    sales: FolderId,
    hr: FolderId,
    payroll: FolderId,
    sales_entries: Vec<EntryId>,
    hr_entries: Vec<EntryId>,
    alice: UserId,
    bob: UserId,
    intern: UserId,
}

fn company() -> Company {
    let mut w = World::new("Company");
    let sales = w.folder("Sales", None);
    let hr = w.folder("HR", None);
    let payroll = w.folder("Payroll", Some(hr));
    let sales_entries = vec![w.entry(Some(sales)), w.entry(Some(sales))];
    let hr_entries = vec![w.entry(Some(hr)), w.entry(Some(payroll))];
    let (alice, bob, intern) = (w.user("alice"), w.user("bob"), w.user("ivan"));
    let (sales_team, hr_team, interns) = (w.group("sales", false), w.group("hr", false), w.group("interns", false));
    w.members.add_user_to_group(alice, sales_team);
    w.members.add_user_to_group(bob, hr_team);
    w.members.add_user_to_group(intern, interns);
    w.members.add_group_to_group(interns, hr_team);
    for team in [sales_team, hr_team] {
        // General tab: Access to database ticked; Read/Modify/Add/Delete left Undefined ("remove the checkmarks").
        w.grant(w.database(), team, Access, Allow);
    }
    // Entries and folders tab: select precisely the objects each team may use.
    for (folder, team) in [(sales, sales_team), (hr, hr_team)] {
        for p in [Read, Modify, Add, Delete] {
            w.grant(Object::Folder(folder), team, p, Allow);
        }
    }
    w.grant(Object::Folder(hr), interns, Delete, Deny);
    w.grant(Object::Folder(payroll), interns, Read, Deny);
    Company { w, sales, hr, payroll, sales_entries, hr_entries, alice, bob, intern }
}

#[test]
fn in_one_company_database_users_see_only_the_folders_granted_to_them() {
    let c = company();
    let t = c.w.tree();
    let alice = c.w.resolver(&t, c.alice, NOW);
    assert_eq!(alice.visible_entries(), c.sales_entries);
    let view = alice.visible_tree();
    assert_eq!(view.folders.iter().map(|f| f.folder.id).collect::<Vec<_>>(), [c.sales]);
    assert!(alice.resolve(Object::Folder(c.sales), Add));
    assert!(!alice.resolve(Object::Folder(c.hr), Add));

    let bob = c.w.resolver(&t, c.bob, NOW);
    assert_eq!(bob.visible_entries(), c.hr_entries);
    assert!(bob.visible_tree().contains_folder(c.payroll), "sub-folders inherit the folder's grants");
    assert!(bob.resolve(Object::Entry(c.hr_entries[1]), Modify));

    let intern = c.w.resolver(&t, c.intern, NOW);
    assert_eq!(intern.visible_entries(), c.hr_entries[..1]);
    assert!(!intern.resolve(Object::Entry(c.hr_entries[0]), Delete));
    assert!(intern.resolve(Object::Entry(c.hr_entries[0]), Modify));
}

#[test]
fn denying_read_in_the_general_tab_hides_the_contents_despite_folder_grants() {
    // Manual NOTE: "Please do not deny the Read/Modify/Add/Delete permissions in the General tab … Otherwise, the
    // user/group will be able to access the database, but not to view or edit its contents."
    let mut c = company();
    c.w.grant(c.w.database(), c.alice, Read, Deny);
    let t = c.w.tree();
    let alice = c.w.resolver(&t, c.alice, NOW);
    assert!(alice.is_visible(c.w.database()), "she can still access the database");
    assert!(alice.visible_entries().is_empty() && alice.visible_tree().folders.is_empty());
}

#[test]
fn explanations_name_the_level_and_the_subjects_that_decided() {
    let mut c = company();
    c.w.policy.set(Export, PolicyState::Disabled).unwrap();
    c.w.grant(c.w.database(), c.bob, Export, Allow);
    c.w.grant(c.w.database(), c.alice, Modify, Allow);
    let t = c.w.tree();
    let intern = c.w.resolver(&t, c.intern, NOW);
    let payslip = Object::Entry(c.hr_entries[1]);
    assert_eq!(
        intern.explain(payslip, Read).unwrap().to_string(),
        "Deny at folder 'Payroll' from group 'interns' → not granted"
    );
    assert_eq!(
        intern.explain(Object::Folder(c.hr), Delete).unwrap().to_string(),
        "Deny at folder 'HR' from group 'interns' → not granted"
    );
    assert_eq!(intern.explain(payslip, Permission::Seal).unwrap().to_string(), "Undefined everywhere → not granted");
    let why = intern.explain(Object::Entry(c.hr_entries[0]), Read).unwrap();
    assert_eq!(why.to_string(), "Allow at folder 'HR' from group 'hr' → granted");
    assert_eq!(why.levels.len(), 4, "server policy, database, folder, entry");

    let bob = c.w.resolver(&t, c.bob, NOW);
    assert_eq!(
        bob.explain(bob.tree().path(payslip).unwrap()[0], Export).unwrap().to_string(),
        "Deny at the server policy (Disabled) → not granted"
    );
    let alice = c.w.resolver(&t, c.alice, NOW);
    assert_eq!(
        alice.explain(payslip, Modify).unwrap().to_string(),
        "Allow at database 'Company' from user 'alice', but the entry is not visible (access and read must both be \
         allowed) → not granted"
    );
}
