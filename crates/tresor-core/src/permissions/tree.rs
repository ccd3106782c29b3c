//! The shape of one database as the permission model sees it: its folder tree and which folder holds each entry.
//!
//! Built once from whatever the store loads, validated (every parent exists, no folder is its own ancestor, no
//! duplicate ids) and kept with its folders in top-down order, so the resolver can walk it in one pass.

use std::collections::HashMap;
use std::sync::Arc;

use super::grant::Object;
use crate::ids::{DatabaseId, EntryId, FolderId};

/// A folder: its id, the folder it sits in (`None`: the database root) and its name (for explanations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderNode {
    pub id: FolderId,
    pub parent: Option<FolderId>,
    pub name: String,
}

/// An entry and the folder it sits in (`None`: the database root). Titles are ciphertext at rest, so the tree
/// does not carry them; explanations name entries by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryNode {
    pub id: EntryId,
    pub folder: Option<FolderId>,
}

/// Why a set of folders and entries is not a tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("folder {0} appears twice")]
    DuplicateFolder(FolderId),
    #[error("entry {0} appears twice")]
    DuplicateEntry(EntryId),
    #[error("folder {0} is in a folder that does not exist")]
    UnknownParent(FolderId),
    #[error("entry {0} is in a folder that does not exist")]
    UnknownFolder(EntryId),
    #[error("folder {0} is inside itself")]
    Cycle(FolderId),
    #[error("a database holds at most {} folders and as many entries", u32::MAX - 1)]
    TooLarge,
}

/// Marks "no folder" in the index-based parent links.
pub(crate) const ROOT: u32 = u32::MAX;

/// One database's folders and entries.
///
/// The folder part is shared ([`DatabaseTree::with_entries`]): a server keeps a database's folders checked and
/// indexed once and puts different entries under them for each request.
#[derive(Debug, Clone)]
pub struct DatabaseTree {
    database: DatabaseId,
    name: String,
    folder_part: Arc<FolderPart>,
    entries: Vec<EntryNode>,
    entry_folder: Vec<u32>,
    entry_index: HashMap<EntryId, u32>,
}

/// The folders of a tree, checked and indexed.
#[derive(Debug)]
struct FolderPart {
    /// Parents before children.
    folders: Vec<FolderNode>,
    folder_parent: Vec<u32>,
    folder_index: HashMap<FolderId, u32>,
}

impl DatabaseTree {
    /// Checks and indexes a database's folders (in any order) and entries.
    pub fn build(
        database: DatabaseId,
        name: impl Into<String>,
        folders: Vec<FolderNode>,
        entries: Vec<EntryNode>,
    ) -> Result<Self, TreeError> {
        if folders.len() >= ROOT as usize || entries.len() >= ROOT as usize {
            return Err(TreeError::TooLarge);
        }
        let mut by_id: HashMap<FolderId, usize> = HashMap::with_capacity(folders.len());
        for (i, f) in folders.iter().enumerate() {
            if by_id.insert(f.id, i).is_some() {
                return Err(TreeError::DuplicateFolder(f.id));
            }
        }
        // Children lists, then a breadth-first walk from the root: every folder reached comes after its parent.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); folders.len()];
        let mut order: Vec<usize> = Vec::with_capacity(folders.len());
        for (i, f) in folders.iter().enumerate() {
            match f.parent {
                None => order.push(i),
                Some(p) => children[*by_id.get(&p).ok_or(TreeError::UnknownParent(f.id))?].push(i),
            }
        }
        let mut next = 0;
        while next < order.len() {
            order.extend(children[order[next]].iter().copied());
            next += 1;
        }
        if order.len() < folders.len() {
            // Every parent exists, so a folder not reached from the root lies on a cycle.
            let mut reached = vec![false; folders.len()];
            order.iter().for_each(|i| reached[*i] = true);
            let stuck = folders.iter().zip(reached).find(|(_, r)| !r).map(|(f, _)| f.id);
            return Err(TreeError::Cycle(stuck.unwrap_or(folders[0].id)));
        }

        let mut slots: Vec<Option<FolderNode>> = folders.into_iter().map(Some).collect();
        let sorted: Vec<FolderNode> = order.iter().filter_map(|i| slots[*i].take()).collect();
        let folder_index: HashMap<FolderId, u32> = sorted.iter().enumerate().map(|(i, f)| (f.id, index(i))).collect();
        let folder_parent = sorted.iter().map(|f| f.parent.map_or(ROOT, |p| folder_index[&p])).collect();
        let folder_part = Arc::new(FolderPart { folders: sorted, folder_parent, folder_index });
        Self::assemble(database, name.into(), folder_part, entries)
    }

    /// The same folders with other entries: the folder part is shared, not checked or copied again.
    pub fn with_entries(&self, entries: Vec<EntryNode>) -> Result<Self, TreeError> {
        Self::assemble(self.database, self.name.clone(), Arc::clone(&self.folder_part), entries)
    }

    fn assemble(
        database: DatabaseId,
        name: String,
        folder_part: Arc<FolderPart>,
        entries: Vec<EntryNode>,
    ) -> Result<Self, TreeError> {
        if entries.len() >= ROOT as usize {
            return Err(TreeError::TooLarge);
        }
        let mut entry_index = HashMap::with_capacity(entries.len());
        let mut entry_folder = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if entry_index.insert(e.id, index(i)).is_some() {
                return Err(TreeError::DuplicateEntry(e.id));
            }
            entry_folder.push(match e.folder {
                None => ROOT,
                Some(f) => *folder_part.folder_index.get(&f).ok_or(TreeError::UnknownFolder(e.id))?,
            });
        }
        Ok(Self { database, name, folder_part, entries, entry_folder, entry_index })
    }

    pub fn database(&self) -> DatabaseId {
        self.database
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The folders, every parent before its children.
    pub fn folders(&self) -> &[FolderNode] {
        &self.folder_part.folders
    }
    pub fn entries(&self) -> &[EntryNode] {
        &self.entries
    }
    pub fn folder(&self, id: FolderId) -> Option<&FolderNode> {
        self.folder_part.folder_index.get(&id).map(|i| &self.folder_part.folders[*i as usize])
    }
    pub fn entry(&self, id: EntryId) -> Option<&EntryNode> {
        self.entry_index.get(&id).map(|i| &self.entries[*i as usize])
    }

    /// Whether the object belongs to this database.
    pub fn contains(&self, object: Object) -> bool {
        match object {
            Object::Database(d) => d == self.database,
            Object::Folder(f) => self.folder_part.folder_index.contains_key(&f),
            Object::Entry(e) => self.entry_index.contains_key(&e),
        }
    }

    /// The objects whose grants apply to `object`, top-down: the database, its folders from the outermost, then
    /// the object itself. `None` if the object is not in this database.
    pub fn path(&self, object: Object) -> Option<Vec<Object>> {
        let (mut folder, last) = match object {
            Object::Database(d) => return (d == self.database).then(|| vec![object]),
            Object::Folder(f) => (self.folder_parents()[*self.folder_part.folder_index.get(&f)? as usize], object),
            Object::Entry(e) => (self.entry_folder[*self.entry_index.get(&e)? as usize], object),
        };
        let mut up = vec![last];
        while folder != ROOT {
            up.push(Object::Folder(self.folders()[folder as usize].id));
            folder = self.folder_parents()[folder as usize];
        }
        up.push(Object::Database(self.database));
        up.reverse();
        Some(up)
    }

    pub(crate) fn folder_idx(&self, id: FolderId) -> Option<u32> {
        self.folder_part.folder_index.get(&id).copied()
    }
    pub(crate) fn entry_idx(&self, id: EntryId) -> Option<u32> {
        self.entry_index.get(&id).copied()
    }
    /// Parent of each folder by index ([`ROOT`] for none), parents before children.
    pub(crate) fn folder_parents(&self) -> &[u32] {
        &self.folder_part.folder_parent
    }
    /// Folder of each entry by index ([`ROOT`] for the database root).
    pub(crate) fn entry_folders(&self) -> &[u32] {
        &self.entry_folder
    }
}

/// Indexes are `u32` to keep the per-entry tables small; [`DatabaseTree::build`] refuses trees that overflow them.
fn index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(ROOT)
}
