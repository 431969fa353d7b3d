//! "You are the discriminator": the student and D judge the same pairs.
//!
//! Each round shows one real digit and one generated digit side by side, in a random
//! order. The student says which one is fake; D "says" the one it scores lower. Both
//! are scored on the same pairs, so the class sees how good a discriminator it is
//! compared with the network — early in training both spot every fake, later the
//! student starts to lose, and at equilibrium D is down to guessing too.
//!
//! D judges exactly the 8-bit pixels the student sees (the generated image is
//! rounded to bytes before D scores it), so neither side has an advantage.

use crate::latent::{Model, PIXELS, random_z};
use crate::rng::Rng;

/// Which of the two images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The left one.
    Left,
    /// The right one.
    Right,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// One round: a real and a generated digit, and D's scores for both.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The round number (0 for the first), which fixes the pair for a seed.
    pub round: u64,
    /// Where the generated digit is.
    pub fake_side: Side,
    /// The real digit, 28×28 bytes.
    pub real: Vec<u8>,
    /// The generated digit, 28×28 bytes.
    pub fake: Vec<u8>,
    /// The latent vector of the generated digit.
    pub z: Vec<f32>,
    /// Index of the real digit in its pool.
    pub real_index: usize,
    /// D's probability "real" for the real digit (`None` without a discriminator).
    pub d_real: Option<f32>,
    /// D's probability "real" for the generated digit.
    pub d_fake: Option<f32>,
}

impl Pair {
    /// The image shown on `side`.
    pub fn image(&self, side: Side) -> &[u8] {
        if side == self.fake_side { &self.fake } else { &self.real }
    }

    /// D's score for the image on `side`.
    pub fn d_score(&self, side: Side) -> Option<f32> {
        if side == self.fake_side {
            self.d_fake
        } else {
            self.d_real
        }
    }

    /// The side D calls fake: the one it scores lower (ties: left). `None` without D.
    pub fn d_pick(&self) -> Option<Side> {
        let (l, r) = (self.d_score(Side::Left)?, self.d_score(Side::Right)?);
        Some(if l <= r { Side::Left } else { Side::Right })
    }
}

/// Right answers out of answered rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Rounds answered right.
    pub right: u32,
    /// Rounds answered.
    pub total: u32,
}

impl Tally {
    /// Adds one answer.
    pub fn add(&mut self, right: bool) {
        self.total += 1;
        self.right += u32::from(right);
    }

    /// The fraction right, if anything was answered.
    pub fn accuracy(&self) -> Option<f32> {
        (self.total > 0).then(|| self.right as f32 / self.total as f32)
    }
}

/// The result of one answered round.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// What the student picked as fake.
    pub picked: Side,
    /// Whether that was the fake.
    pub student_right: bool,
    /// Whether D scored the fake lower (`None` without D).
    pub d_right: Option<bool>,
}

/// Where the real digits come from.
pub trait RealPool {
    /// How many digits there are.
    fn len(&self) -> usize;
    /// Digit `i`, 28×28 bytes.
    fn image(&self, i: usize) -> &[u8];
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl RealPool for crate::data::Dataset {
    fn len(&self) -> usize {
        crate::data::Dataset::len(self)
    }
    fn image(&self, i: usize) -> &[u8] {
        crate::data::Dataset::image(self, i)
    }
}

/// A pool of 28×28 digits stored one after another.
impl RealPool for [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self) / PIXELS
    }
    fn image(&self, i: usize) -> &[u8] {
        &self[i * PIXELS..(i + 1) * PIXELS]
    }
}

/// Errors of making a pair.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    /// No real digits to compare with.
    #[error("there are no real digits to compare with")]
    NoRealDigits,
    /// The networks failed.
    #[error("cannot decode or score: {0}")]
    Model(#[from] candle_core::Error),
}

/// The game's state: the current pair, the answer given, and both tallies.
#[derive(Debug, Clone, Default)]
pub struct Judge {
    /// The seed of the pairs (round r of seed s is always the same pair for a model and pool).
    pub seed: u64,
    /// The pair on screen.
    pub pair: Option<Pair>,
    /// The answer to the pair on screen, once given.
    pub answer: Option<Outcome>,
    /// The student's tally.
    pub student: Tally,
    /// D's tally on the same pairs.
    pub d: Tally,
    /// The rounds played so far (the next pair's round number).
    pub rounds: u64,
}

impl Judge {
    /// A new game with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            ..Self::default()
        }
    }

    /// Round `round` of `seed`: a generated digit of `model` and a real one from `pool`,
    /// on random sides, both scored by D.
    pub fn make_pair(
        model: &Model,
        pool: &(impl RealPool + ?Sized),
        seed: u64,
        round: u64,
    ) -> Result<Pair, JudgeError> {
        if pool.is_empty() {
            return Err(JudgeError::NoRealDigits);
        }
        let mut rng = Rng::derive(seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15), "judge");
        let fake_side = if rng.below(2) == 0 { Side::Left } else { Side::Right };
        let real_index = rng.below(pool.len());
        let z_seed = rng.next_u64();
        let z = random_z(1, model.latent_dim(), z_seed);
        let fake = model.decode(&z)?;
        let real = pool.image(real_index).to_vec();
        let scores = model.score_images(&[real.as_slice(), fake.as_slice()].concat())?;
        let (d_real, d_fake) = match scores {
            Some(s) if s.len() == 2 => (Some(s[0]), Some(s[1])),
            _ => (None, None),
        };
        Ok(Pair {
            round,
            fake_side,
            real,
            fake,
            z,
            real_index,
            d_real,
            d_fake,
        })
    }

    /// Shows the next pair (and forgets the answer to the previous one).
    pub fn next(&mut self, model: &Model, pool: &(impl RealPool + ?Sized)) -> Result<(), JudgeError> {
        let pair = Self::make_pair(model, pool, self.seed, self.rounds)?;
        self.rounds += 1;
        self.pair = Some(pair);
        self.answer = None;
        Ok(())
    }

    /// The student says `picked` is fake. Counts once per pair; returns the outcome.
    pub fn answer(&mut self, picked: Side) -> Option<Outcome> {
        if let Some(done) = self.answer {
            return Some(done);
        }
        let pair = self.pair.as_ref()?;
        let student_right = picked == pair.fake_side;
        let d_right = pair.d_pick().map(|s| s == pair.fake_side);
        self.student.add(student_right);
        if let Some(r) = d_right {
            self.d.add(r);
        }
        let outcome = Outcome {
            picked,
            student_right,
            d_right,
        };
        self.answer = Some(outcome);
        Some(outcome)
    }

    /// Starts over: no pair, both tallies at zero, round 0 again.
    pub fn reset(&mut self) {
        *self = Self::new(self.seed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(fake_side: Side, d_real: f32, d_fake: f32) -> Pair {
        Pair {
            round: 0,
            fake_side,
            real: vec![0; PIXELS],
            fake: vec![255; PIXELS],
            z: vec![0.0; 2],
            real_index: 0,
            d_real: Some(d_real),
            d_fake: Some(d_fake),
        }
    }

    #[test]
    fn d_picks_the_lower_score_and_both_tallies_count_once_per_pair() {
        let mut j = Judge::new(1);
        j.pair = Some(pair(Side::Right, 0.9, 0.2));
        assert_eq!(j.pair.as_ref().unwrap().d_pick(), Some(Side::Right));
        let o = j.answer(Side::Left).unwrap();
        assert!(!o.student_right);
        assert_eq!(o.d_right, Some(true));
        // A second click on the same pair changes nothing.
        j.answer(Side::Right);
        assert_eq!(j.student, Tally { right: 0, total: 1 });
        assert_eq!(j.d, Tally { right: 1, total: 1 });

        // D fooled: the fake scores higher than the real digit.
        j.answer = None;
        j.pair = Some(pair(Side::Left, 0.3, 0.7));
        let o = j.answer(Side::Left).unwrap();
        assert!(o.student_right);
        assert_eq!(o.d_right, Some(false));
        assert_eq!(j.student, Tally { right: 1, total: 2 });
        assert_eq!(j.d, Tally { right: 1, total: 2 });
        assert_eq!(j.student.accuracy(), Some(0.5));
    }

    #[test]
    fn the_images_are_where_the_pair_says() {
        let p = pair(Side::Left, 0.5, 0.5);
        assert_eq!(p.image(Side::Left)[0], 255);
        assert_eq!(p.image(Side::Right)[0], 0);
        assert_eq!(p.d_score(Side::Left), Some(0.5));
        assert_eq!(Side::Left.other(), Side::Right);
        assert_eq!(Tally::default().accuracy(), None);
    }
}
