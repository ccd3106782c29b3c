//! What a user sees of a database (DESIGN §3, Visibility): an entry is listed only if access and read both resolve
//! to Allow on it; a folder is listed if it or something below it is visible.

use super::resolver::Resolver;
use super::tree::{EntryNode, FolderNode, ROOT};
use crate::ids::{EntryId, FolderId};

/// A folder in a user's listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedFolder<'a> {
    pub folder: &'a FolderNode,
    /// Whether the folder itself is visible (access and read allowed on it). A folder that is not is listed only
    /// as the way to something visible below it, and no other permission applies to it.
    pub visible: bool,
}

/// A user's view of one database: the folders to show (parents before children) and the visible entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisibleTree<'a> {
    /// Whether the user can open the database at all. When false, both lists are empty.
    pub database_open: bool,
    pub folders: Vec<ListedFolder<'a>>,
    pub entries: Vec<EntryNode>,
}

impl VisibleTree<'_> {
    pub fn contains_entry(&self, id: EntryId) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }
    pub fn contains_folder(&self, id: FolderId) -> bool {
        self.folders.iter().any(|f| f.folder.id == id)
    }
}

/// Which folders are listed, and whether anything at all in the database is visible.
///
/// Linear in folders plus the entries that have grants of their own: an entry without its own grants has exactly
/// its container's value, so it is visible only if its folder is (and that folder is listed anyway), or, at the
/// root, only if the database itself is visible.
pub(super) fn listed_folders(r: &Resolver<'_>) -> (Vec<bool>, bool) {
    let mut listed: Vec<bool> = r.folders.iter().map(|m| m.sees()).collect();
    let mut anything = r.database.sees() || listed.contains(&true);
    let entry_folders = r.tree.entry_folders();
    for (entry, level) in &r.entry_levels {
        let folder = entry_folders[*entry as usize];
        if r.container(folder).below(*level).sees() {
            anything = true;
            if folder != ROOT {
                listed[folder as usize] = true;
            }
        }
    }
    // Children come after their parents, so walking backwards passes "something below is visible" upwards.
    let parents = r.tree.folder_parents();
    for i in (0..listed.len()).rev() {
        if listed[i] && parents[i] != ROOT {
            listed[parents[i] as usize] = true;
        }
    }
    (listed, anything)
}

impl<'a> Resolver<'a> {
    /// Every entry the user can see, in the tree's entry order: one pass over the entries, each costing its
    /// container's precomputed value plus its own grants if it has any.
    pub fn visible_entries(&self) -> Vec<EntryId> {
        self.visible_entry_nodes().map(|e| e.id).collect()
    }

    /// The user's whole view of the database.
    pub fn visible_tree(&self) -> VisibleTree<'a> {
        if !self.database_open {
            return VisibleTree { database_open: false, folders: Vec::new(), entries: Vec::new() };
        }
        let folders = self
            .tree
            .folders()
            .iter()
            .zip(&self.folder_listed)
            .zip(&self.folders)
            .filter(|((_, listed), _)| **listed)
            .map(|((folder, _), masks)| ListedFolder { folder, visible: masks.sees() })
            .collect();
        VisibleTree { database_open: true, folders, entries: self.visible_entry_nodes().copied().collect() }
    }

    fn visible_entry_nodes(&self) -> impl Iterator<Item = &'a EntryNode> + '_ {
        let tree = self.tree;
        let mut own = self.entry_levels.iter().peekable();
        tree.entries().iter().zip(tree.entry_folders()).enumerate().filter_map(move |(i, (entry, folder))| {
            let mut masks = self.container(*folder);
            if let Some((_, level)) = own.next_if(|(at, _)| *at as usize == i) {
                masks = masks.below(*level);
            }
            masks.sees().then_some(entry)
        })
    }
}
