//! The rule that keeps nested groups a forest: no group may contain itself, directly or through others.

use std::collections::{HashMap, HashSet};

use crate::ids::GroupId;

/// Whether adding `child` as a member of `parent` would create a cycle, given the current group-in-group
/// memberships as `(parent, child)` pairs. It would exactly when `parent` is `child` or already lies below `child`.
pub fn would_create_cycle(edges: &[(GroupId, GroupId)], parent: GroupId, child: GroupId) -> bool {
    if parent == child {
        return true;
    }
    let mut below: HashMap<GroupId, Vec<GroupId>> = HashMap::new();
    for (p, c) in edges {
        below.entry(*p).or_default().push(*c);
    }
    let mut seen = HashSet::new();
    let mut stack = vec![child];
    while let Some(g) = stack.pop() {
        if g == parent {
            return true;
        }
        if seen.insert(g) {
            stack.extend(below.get(&g).into_iter().flatten().copied());
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ids(n: usize) -> Vec<GroupId> {
        (0..n).map(|_| GroupId::random()).collect()
    }

    #[test]
    fn self_membership_is_a_cycle() {
        let g = ids(1);
        assert!(would_create_cycle(&[], g[0], g[0]));
    }

    #[test]
    fn transitive_cycles_are_found() {
        let g = ids(4);
        // a ⊃ b ⊃ c ⊃ d
        let edges = [(g[0], g[1]), (g[1], g[2]), (g[2], g[3])];
        assert!(would_create_cycle(&edges, g[3], g[0]));
        assert!(would_create_cycle(&edges, g[2], g[0]));
        assert!(!would_create_cycle(&edges, g[0], g[3]), "a shortcut is not a cycle");
        assert!(!would_create_cycle(&edges, g[1], g[3]), "a sibling path is not a cycle");
    }

    /// Kahn's algorithm: the graph is acyclic exactly when every node can be removed in topological order.
    fn is_acyclic(nodes: &[GroupId], edges: &[(GroupId, GroupId)]) -> bool {
        let mut indegree: HashMap<GroupId, usize> = nodes.iter().map(|n| (*n, 0)).collect();
        for (_, c) in edges {
            *indegree.entry(*c).or_default() += 1;
        }
        let mut ready: Vec<GroupId> = indegree.iter().filter(|(_, d)| **d == 0).map(|(n, _)| *n).collect();
        let mut removed = 0;
        while let Some(n) = ready.pop() {
            removed += 1;
            for (p, c) in edges {
                if *p == n {
                    let d = indegree.entry(*c).or_default();
                    *d -= 1;
                    if *d == 0 {
                        ready.push(*c);
                    }
                }
            }
        }
        removed == nodes.len()
    }

    proptest! {
        /// Adding only the edges the rule allows keeps the graph acyclic, and every refused edge would have closed
        /// a cycle.
        #[test]
        fn the_rule_accepts_exactly_the_acyclic_edges(pairs in proptest::collection::vec((0usize..8, 0usize..8), 0..40)) {
            let g = ids(8);
            let mut edges = Vec::new();
            for (p, c) in pairs {
                let refused = would_create_cycle(&edges, g[p], g[c]);
                let mut with = edges.clone();
                with.push((g[p], g[c]));
                prop_assert_eq!(refused, !is_acyclic(&g, &with));
                if !refused {
                    edges = with;
                }
            }
            prop_assert!(is_acyclic(&g, &edges));
        }
    }
}
