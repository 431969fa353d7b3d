//! Bounded histories for the live charts and the scrubbing sliders.
//!
//! [`History`] keeps a full-resolution window of the most recent points and
//! merges older ones into buckets, each kept as its lowest and highest point (min–max
//! decimation), so memory and drawing cost stay flat however long training runs while the
//! whole run stays visible — and a noisy series' band looks as wide where it is merged as
//! where it is not (averages would narrow it, as if training had got quieter).
//! [`Timeline`] keeps a bounded list of snapshots (sample grids, histograms):
//! when full, every other entry of its older half goes, so older times are
//! kept at a coarser spacing.

use egui_plot::PlotPoint;

/// A series of `(x, y)` points whose memory stays bounded.
///
/// The points are stored in one contiguous slice (older, merged points first,
/// then the recent full-resolution window) so a plot can borrow them as they are.
#[derive(Debug, Clone)]
pub struct History {
    points: Vec<PlotPoint>,
    /// How many of `points` are merged (older) points.
    n_old: usize,
    /// Raw points each merged bucket (two stored points) stands for.
    stride: usize,
    /// Raw points waiting to form the next merged bucket.
    pending: Vec<PlotPoint>,
    recent: usize,
    old_cap: usize,
    chunk: usize,
    pushed: u64,
    version: u64,
}

impl Default for History {
    fn default() -> Self {
        Self::new(Self::RECENT, Self::OLD_CAP)
    }
}

impl History {
    /// Default size of the full-resolution recent window.
    pub const RECENT: usize = 2000;
    /// Default number of merged points kept for everything older.
    pub const OLD_CAP: usize = 2000;

    /// A history that keeps the last `recent` points exactly and at most `old_cap` merged ones.
    pub fn new(recent: usize, old_cap: usize) -> Self {
        let recent = recent.max(1);
        Self {
            points: Vec::new(),
            n_old: 0,
            stride: 2,
            pending: Vec::new(),
            recent,
            old_cap: old_cap.max(2),
            chunk: (recent / 4).max(1),
            pushed: 0,
            version: 0,
        }
    }

    /// The most points this history ever holds.
    pub fn max_len(&self) -> usize {
        self.old_cap + self.recent + self.chunk
    }

    /// Appends a point (x should increase).
    pub fn push(&mut self, x: f64, y: f64) {
        self.points.push(PlotPoint::new(x, y));
        self.pushed += 1;
        self.version += 1;
        if self.points.len() - self.n_old > self.recent + self.chunk {
            self.compact();
        }
    }

    /// Moves the oldest `chunk` recent points into the merged part.
    fn compact(&mut self) {
        let start = self.n_old;
        let end = start + self.chunk;
        let mut merged = Vec::with_capacity(2 * (self.chunk / self.stride + 1));
        for &p in &self.points[start..end] {
            self.pending.push(p);
            if self.pending.len() >= self.stride {
                merged.extend(envelope(&self.pending));
                self.pending.clear();
            }
        }
        let added = merged.len();
        self.points.splice(start..end, merged);
        self.n_old += added;
        if self.n_old > self.old_cap {
            self.merge_old_pairs();
        }
    }

    /// Halves the merged part by merging neighbouring buckets; each then stands for twice as
    /// many raw points.
    fn merge_old_pairs(&mut self) {
        let buckets = self.n_old / 2;
        let pairs = buckets / 2;
        for i in 0..pairs {
            let [a, b] = envelope(&self.points[4 * i..4 * i + 4]);
            self.points[2 * i] = a;
            self.points[2 * i + 1] = b;
        }
        let mut new_old = 2 * pairs;
        if buckets % 2 == 1 {
            self.points[new_old] = self.points[2 * buckets - 2];
            self.points[new_old + 1] = self.points[2 * buckets - 1];
            new_old += 2;
        }
        self.points.drain(new_old..self.n_old);
        self.n_old = new_old;
        self.stride *= 2;
    }

    /// All stored points, oldest first.
    pub fn points(&self) -> &[PlotPoint] {
        &self.points
    }

    /// The full-resolution recent points.
    pub fn recent(&self) -> &[PlotPoint] {
        &self.points[self.n_old..]
    }

    /// Number of stored points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Raw points each merged point stands for.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Points pushed since the last clear.
    pub fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Changes whenever the points change (for caches).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The last point.
    pub fn last(&self) -> Option<PlotPoint> {
        self.points.last().copied()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        let (recent, old_cap) = (self.recent, self.old_cap);
        let version = self.version + 1;
        *self = Self::new(recent, old_cap);
        self.version = version;
    }

    /// An exponential moving average of the points with a time constant of `window` x-units,
    /// written into `out` (merged points count for the x-distance they span).
    pub fn smoothed_into(&self, window: f64, out: &mut Vec<PlotPoint>) {
        out.clear();
        out.reserve(self.points.len());
        let alpha = 1.0 / window.max(1.0);
        let mut prev: Option<PlotPoint> = None;
        for p in &self.points {
            let y = match prev {
                None => p.y,
                Some(q) if !q.y.is_finite() => p.y,
                Some(q) => {
                    let dx = (p.x - q.x).max(1.0);
                    let a = 1.0 - (1.0 - alpha).powf(dx);
                    q.y + a * (p.y - q.y)
                }
            };
            let s = PlotPoint::new(p.x, y);
            out.push(s);
            prev = Some(s);
        }
    }
}

/// A bucket of at least two points (x increasing) as its lowest and its highest point, in
/// x order; when all are level, its first and last.
fn envelope(points: &[PlotPoint]) -> [PlotPoint; 2] {
    let first = points[0];
    let last = points[points.len() - 1];
    let lo = points
        .iter()
        .copied()
        .min_by(|a, b| a.y.total_cmp(&b.y))
        .unwrap_or(first);
    let hi = points
        .iter()
        .copied()
        .max_by(|a, b| a.y.total_cmp(&b.y))
        .unwrap_or(last);
    if lo.x == hi.x {
        [first, last]
    } else if lo.x < hi.x {
        [lo, hi]
    } else {
        [hi, lo]
    }
}

/// A bounded list of snapshots tagged with the step they were taken at.
#[derive(Debug, Clone)]
pub struct Timeline<T> {
    items: Vec<(u64, T)>,
    cap: usize,
    version: u64,
}

impl<T> Timeline<T> {
    /// A timeline that never holds more than `cap` entries.
    pub fn new(cap: usize) -> Self {
        Self {
            items: Vec::new(),
            cap: cap.max(2),
            version: 0,
        }
    }

    /// Appends a snapshot; when full, every other entry of the older half is dropped first.
    pub fn push(&mut self, step: u64, item: T) {
        if self.items.len() >= self.cap {
            let half = self.items.len() / 2;
            let mut i = 0;
            self.items.retain(|_| {
                let keep = i >= half || i % 2 == 0;
                i += 1;
                keep
            });
        }
        self.items.push((step, item));
        self.version += 1;
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The most entries it holds.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Entry `i` (0 = oldest) and its step.
    pub fn get(&self, i: usize) -> Option<(u64, &T)> {
        self.items.get(i).map(|(s, t)| (*s, t))
    }

    /// The newest entry.
    pub fn last(&self) -> Option<(u64, &T)> {
        self.items.last().map(|(s, t)| (*s, t))
    }

    /// All entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.items.iter().map(|(s, t)| (*s, t))
    }

    /// Changes whenever an entry is added or removed.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.items.clear();
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_history_is_kept_exactly() {
        let mut h = History::new(10, 10);
        for i in 0..10 {
            h.push(i as f64, i as f64 * 2.0);
        }
        assert_eq!(h.len(), 10);
        assert_eq!(h.points()[3], PlotPoint::new(3.0, 6.0));
    }

    #[test]
    fn million_points_stay_bounded_and_span_the_run() {
        let mut h = History::default();
        let n = 1_000_000;
        for i in 0..n {
            h.push(i as f64, (i % 7) as f64);
            assert!(h.len() <= h.max_len());
        }
        assert!(h.len() <= 4500, "{} points", h.len());
        assert!(h.points.capacity() <= 2 * h.max_len());
        // The recent window is exact.
        let recent = h.recent();
        assert!(recent.len() >= History::RECENT);
        assert_eq!(recent.last().map(|p| p.x), Some((n - 1) as f64));
        for (k, p) in recent.iter().rev().take(History::RECENT).enumerate() {
            assert_eq!(p.x, (n - 1 - k) as f64);
        }
        // The beginning of the run is still there, merged.
        assert!(h.points()[0].x < h.stride() as f64);
        // x keeps increasing.
        assert!(h.points().windows(2).all(|w| w[0].x < w[1].x));
        // Merged buckets keep their extremes: (i mod 7) still spans 0 to 6 there.
        let old = &h.points()[..100];
        assert!(old.iter().any(|p| p.y == 0.0) && old.iter().any(|p| p.y == 6.0));
    }

    #[test]
    fn merged_points_keep_the_band_of_a_noisy_series() {
        // A noisy loss: 1 ± 0.5, alternating. Averaging pairs would flatten the old part to
        // 1.0 (a band that jumps from thin to wide where full resolution starts); the
        // merged part keeps the band as wide as the recent one.
        let mut h = History::new(100, 60);
        for i in 0..5000 {
            h.push(i as f64, if i % 2 == 0 { 0.5 } else { 1.5 });
            assert!(h.len() <= h.max_len());
        }
        assert!(h.stride() > 2, "merged more than once");
        let recent = h.recent().len();
        let old = &h.points()[..h.len() - recent];
        assert!(old.len() >= 30);
        let lo = old.iter().map(|p| p.y).fold(f64::INFINITY, f64::min);
        let hi = old.iter().map(|p| p.y).fold(f64::NEG_INFINITY, f64::max);
        assert_eq!((lo, hi), (0.5, 1.5));
        assert!(
            old.iter().all(|p| p.y == 0.5 || p.y == 1.5),
            "only real values, no averages"
        );
        // And a series on a line stays on it (merged points are points of the series).
        let mut h = History::new(4, 2);
        for i in 0..100 {
            h.push(i as f64, i as f64);
        }
        assert!(h.points().iter().all(|p| (p.x - p.y).abs() < 1e-9));
        assert!(h.points().windows(2).all(|w| w[0].x < w[1].x));
    }

    #[test]
    fn smoothing_follows_a_step() {
        let mut h = History::new(100, 100);
        for i in 0..100 {
            h.push(i as f64, if i < 50 { 0.0 } else { 1.0 });
        }
        let mut s = Vec::new();
        h.smoothed_into(10.0, &mut s);
        assert_eq!(s.len(), 100);
        assert_eq!(s[49].y, 0.0);
        assert!(s[55].y > 0.3 && s[55].y < 0.7);
        assert!(s[99].y > 0.98);
    }

    #[test]
    fn timeline_thins_its_older_half() {
        let mut t = Timeline::new(8);
        for s in 0..100u64 {
            t.push(s, s);
            assert!(t.len() <= 8);
        }
        assert_eq!(t.last().map(|(s, _)| s), Some(99));
        let steps: Vec<u64> = t.iter().map(|(s, _)| s).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]));
        assert!(steps[0] < 50, "the start of the run stays represented: {steps:?}");
    }
}
