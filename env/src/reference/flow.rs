//! Maximum flow on one slot's one-hop network, for the oracle at scale:
//! source → supplier `i` (its input) → receiver `j` (itself or a neighbour)
//! → sink (the receiver's capacity). Receiver capacities only grow between
//! calls to [`OneHop::augment`], which continues from the current flow
//! (Dinic's algorithm: BFS levels, then blocking flows by an iterative DFS),
//! so a receiver's load never decreases from one stage to the next.

use crate::topology::Topology;

/// The network and its current flow.
#[derive(Debug, Clone)]
pub(crate) struct OneHop {
    n: usize,
    /// Arc ids leaving each vertex (source 0, suppliers 1..=n, receivers
    /// n+1..=2n, sink 2n+1), vertex `v`'s at `adj[start[v]..start[v + 1]]`.
    /// Arc `a`'s reverse is `a ^ 1`.
    adj: Vec<usize>,
    start: Vec<usize>,
    to: Vec<usize>,
    residual: Vec<u64>,
    /// Arc of receiver `j` → sink, and the capacity given to it so far.
    sink_arc: Vec<usize>,
    sink_cap: Vec<u64>,
    /// `pair[i][k]`: arc supplier `i` → receiver (k = 0 itself, k ≥ 1 neighbour k−1).
    pair: Vec<Vec<usize>>,
    level: Vec<u32>,
    next: Vec<usize>,
    queue: Vec<usize>,
    path: Vec<usize>,
}

const UNSEEN: u32 = u32::MAX;

impl OneHop {
    /// The network of `topo` with `inputs` at the suppliers and no receiver
    /// capacity yet.
    pub fn new(topo: &Topology, inputs: &[u32]) -> Self {
        let n = topo.len();
        let mut g = OneHop {
            n,
            adj: Vec::new(),
            start: Vec::new(),
            to: Vec::new(),
            residual: Vec::new(),
            sink_arc: Vec::with_capacity(n),
            sink_cap: vec![0; n],
            pair: Vec::with_capacity(n),
            level: vec![UNSEEN; 2 * n + 2],
            next: vec![0; 2 * n + 2],
            queue: Vec::with_capacity(2 * n + 2),
            path: Vec::new(),
        };
        for (i, &x) in inputs.iter().enumerate() {
            g.arc(0, 1 + i, u64::from(x));
        }
        for (i, &x) in inputs.iter().enumerate() {
            let x = u64::from(x);
            let row = std::iter::once(i).chain(topo.neighbors(i).iter().copied()).map(|j| g.arc(1 + i, 1 + n + j, x));
            let row: Vec<usize> = row.collect();
            g.pair.push(row);
        }
        for j in 0..n {
            let a = g.arc(1 + n + j, 2 * n + 1, 0);
            g.sink_arc.push(a);
        }
        // Each arc leaves the head of its reverse; group them by that vertex.
        let vertices = 2 * n + 2;
        let mut count = vec![0usize; vertices + 1];
        for a in 0..g.to.len() {
            count[g.to[a ^ 1] + 1] += 1;
        }
        for v in 0..vertices {
            count[v + 1] += count[v];
        }
        g.start = count.clone();
        g.adj = vec![0; g.to.len()];
        for a in 0..g.to.len() {
            let v = g.to[a ^ 1];
            g.adj[count[v]] = a;
            count[v] += 1;
        }
        g
    }

    fn arc(&mut self, from: usize, to: usize, cap: u64) -> usize {
        let a = self.to.len();
        self.to.extend([to, from]);
        self.residual.extend([cap, 0]);
        a
    }

    /// Raises receiver `j`'s capacity to `cap` (never lowers it).
    pub fn raise(&mut self, j: usize, cap: u64) {
        if cap > self.sink_cap[j] {
            self.residual[self.sink_arc[j]] += cap - self.sink_cap[j];
            self.sink_cap[j] = cap;
        }
    }

    /// The flow and capacities, to [`OneHop::restore`] later.
    pub fn snapshot(&self) -> (Vec<u64>, Vec<u64>) {
        (self.residual.clone(), self.sink_cap.clone())
    }

    /// Back to a [`OneHop::snapshot`] of this network.
    pub fn restore(&mut self, (residual, sink_cap): (Vec<u64>, Vec<u64>)) {
        self.residual = residual;
        self.sink_cap = sink_cap;
    }

    /// Load placed on receiver `j`.
    pub fn load(&self, j: usize) -> u64 {
        self.residual[self.sink_arc[j] ^ 1]
    }

    /// Units supplier `i` sends to its `k`-th receiver (0 itself).
    pub fn sent(&self, i: usize, k: usize) -> u64 {
        self.residual[self.pair[i][k] ^ 1]
    }

    /// Augments to a maximum flow under the current capacities; returns the
    /// units added.
    pub fn augment(&mut self) -> u64 {
        let mut added = self.direct();
        while self.levels() {
            self.next.copy_from_slice(&self.start[..self.start.len() - 1]);
            loop {
                let f = self.push_path();
                if f == 0 {
                    break;
                }
                added += f;
            }
        }
        added
    }

    /// Pushes along the three-arc paths source → supplier → receiver → sink
    /// first (most units of a stage go this way), in one pass.
    fn direct(&mut self) -> u64 {
        let mut added = 0;
        for i in 0..self.n {
            let from_source = 2 * i; // arc source → supplier i (created first, in order)
            for k in 0..self.pair[i].len() {
                let left = self.residual[from_source];
                if left == 0 {
                    break;
                }
                let a = self.pair[i][k];
                let j = self.to[a] - 1 - self.n;
                let to_sink = self.sink_arc[j];
                let f = left.min(self.residual[to_sink]).min(self.residual[a]);
                if f > 0 {
                    for arc in [from_source, a, to_sink] {
                        self.residual[arc] -= f;
                        self.residual[arc ^ 1] += f;
                    }
                    added += f;
                }
            }
        }
        added
    }

    /// BFS levels from the source over arcs with residual capacity; whether
    /// the sink is reached.
    fn levels(&mut self) -> bool {
        self.level.iter_mut().for_each(|l| *l = UNSEEN);
        self.level[0] = 0;
        self.queue.clear();
        self.queue.push(0);
        let sink = 2 * self.n + 1;
        let mut head = 0;
        while head < self.queue.len() {
            let v = self.queue[head];
            head += 1;
            // Past the sink's level no vertex lies on a shortest path.
            if self.level[sink] != UNSEEN && self.level[v] + 1 >= self.level[sink] {
                break;
            }
            for &a in &self.adj[self.start[v]..self.start[v + 1]] {
                let w = self.to[a];
                if self.residual[a] > 0 && self.level[w] == UNSEEN {
                    self.level[w] = self.level[v] + 1;
                    self.queue.push(w);
                }
            }
        }
        self.level[sink] != UNSEEN
    }

    /// One augmenting path along increasing levels (iterative DFS with the
    /// current-arc pointers); pushes its bottleneck and returns it (0: none left).
    fn push_path(&mut self) -> u64 {
        let sink = 2 * self.n + 1;
        self.path.clear();
        let mut v = 0;
        loop {
            if v == sink {
                let f = self.path.iter().map(|&a| self.residual[a]).min().unwrap_or(0);
                for &a in &self.path {
                    self.residual[a] -= f;
                    self.residual[a ^ 1] += f;
                }
                return f;
            }
            let mut advanced = false;
            while self.next[v] < self.start[v + 1] {
                let a = self.adj[self.next[v]];
                let w = self.to[a];
                if self.residual[a] > 0 && self.level[w] == self.level[v] + 1 {
                    self.path.push(a);
                    v = w;
                    advanced = true;
                    break;
                }
                self.next[v] += 1;
            }
            if advanced {
                continue;
            }
            // Dead end: never enter `v` again in this phase; step back.
            self.level[v] = UNSEEN;
            let Some(a) = self.path.pop() else { return 0 };
            v = self.to[a ^ 1];
            self.next[v] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_flow_of_a_small_network_and_its_growth() {
        // a – b – c: a has 10, b 0, c 4; capacities a 2, b 5, c 1.
        let topo = Topology::from_adjacency(None, &["a b".into(), "b c".into()]).unwrap();
        let mut g = OneHop::new(&topo, &[10, 0, 4]);
        for (j, c) in [2, 5, 1].into_iter().enumerate() {
            g.raise(j, c);
        }
        assert_eq!(g.augment(), 8); // all capacity used: 2 + 5 + 1
        assert_eq!((g.load(0), g.load(1), g.load(2)), (2, 5, 1));
        assert_eq!(g.sent(0, 0) + g.sent(0, 1), 2 + g.sent(0, 1));
        // Raising c's capacity lets its own input in; no load goes down.
        g.raise(2, 4);
        assert_eq!(g.augment(), 3);
        assert_eq!((g.load(0), g.load(1), g.load(2)), (2, 5, 4));
        // Every unit sent is accounted for at a receiver.
        let sent: u64 = (0..3).map(|i| (0..=topo.degree(i)).map(|k| g.sent(i, k)).sum::<u64>()).sum();
        assert_eq!(sent, 11);
    }
}
