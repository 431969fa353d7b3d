//! A background thread for the explorer's heavier computations — principal
//! directions, sensitivity bars, interpolation strips with D's scores, the latent
//! plane, the grid to pick from, GAN inversions — so the window never waits for them.
//!
//! Jobs queue on an unbounded channel; before running, the thread drains the
//! queue and keeps only the newest job of each kind (dragging a slider asks for
//! many sensitivity updates; only the last matters). Each result carries the
//! key the UI gave its job, so the UI can ignore results that arrive late. After
//! each result the thread calls the repaint callback.

use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::directions::{Directions, principal_directions, sensitivity};
use super::manifold::Plane;
use super::{Interpolation, Model, path};

/// Something to compute.
#[derive(Debug, Clone)]
pub enum Job {
    /// Decode a set of latent vectors (e.g. the grid to pick from).
    Decode {
        /// The model.
        model: Model,
        /// The vectors, flat.
        z: Vec<f32>,
    },
    /// Principal directions from `samples` decodes.
    Directions {
        /// The model.
        model: Model,
        /// How many random z to decode.
        samples: usize,
        /// How many directions.
        k: usize,
        /// Seed of the random z.
        seed: u64,
    },
    /// Per-dimension sensitivity at `z`.
    Sensitivity {
        /// The model.
        model: Model,
        /// Where.
        z: Vec<f32>,
    },
    /// Linear and spherical paths from `a` to `b`, decoded and scored by D.
    Strip {
        /// The model.
        model: Model,
        /// Start.
        a: Vec<f32>,
        /// End.
        b: Vec<f32>,
        /// Frames per path (both ends included).
        frames: usize,
    },
    /// Every cell of a latent plane, decoded.
    Plane {
        /// The model.
        model: Model,
        /// The plane.
        plane: Plane,
    },
    /// One digit through an autoencoder, a VAE and an inverted GAN, side by side.
    Compare {
        /// The autoencoder, the VAE and the GAN.
        models: Box<[Model; 3]>,
        /// The digit, 784 bytes.
        target: Vec<u8>,
        /// Where the GAN's search starts.
        start: Vec<f32>,
    },
    /// Search for the z whose image matches `target` (GAN inversion).
    Invert {
        /// The model.
        model: Model,
        /// The digit, 784 bytes.
        target: Vec<u8>,
        /// Where the search starts.
        start: Vec<f32>,
    },
}

/// Which kind of job (the newest of each kind wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// [`Job::Decode`].
    Decode,
    /// [`Job::Directions`].
    Directions,
    /// [`Job::Sensitivity`].
    Sensitivity,
    /// [`Job::Strip`].
    Strip,
    /// [`Job::Plane`].
    Plane,
    /// [`Job::Invert`].
    Invert,
    /// [`Job::Compare`].
    Compare,
}

impl Job {
    /// Its kind.
    pub fn kind(&self) -> JobKind {
        match self {
            Job::Decode { .. } => JobKind::Decode,
            Job::Directions { .. } => JobKind::Directions,
            Job::Sensitivity { .. } => JobKind::Sensitivity,
            Job::Strip { .. } => JobKind::Strip,
            Job::Plane { .. } => JobKind::Plane,
            Job::Invert { .. } => JobKind::Invert,
            Job::Compare { .. } => JobKind::Compare,
        }
    }
}

/// One interpolation path, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct StripPath {
    /// How it was walked.
    pub how: Interpolation,
    /// The latent vectors, flat.
    pub z: Vec<f32>,
    /// The images, 784 bytes each.
    pub images: Vec<u8>,
    /// D's probability "real" for each frame, if the model has a discriminator.
    pub scores: Option<Vec<f32>>,
}

/// What a job produced.
#[derive(Debug, Clone)]
pub enum JobOutput {
    /// Images, 784 bytes each.
    Images(Vec<u8>),
    /// Principal directions.
    Directions(Directions),
    /// Sensitivity per dimension.
    Sensitivity(Vec<f32>),
    /// Linear then spherical path.
    Strip(Vec<StripPath>),
    /// A GAN inversion's result and path.
    Inversion(super::invert::Inversion),
    /// The autoencoder's and the VAE's reconstructions (784 bytes each) and the GAN's inversion.
    Compare(Vec<u8>, Vec<u8>, super::invert::Inversion),
}

/// A finished job.
#[derive(Debug, Clone)]
pub struct JobResult {
    /// The key the job was submitted with.
    pub key: u64,
    /// The job's kind.
    pub kind: JobKind,
    /// The output, or what went wrong.
    pub output: Result<JobOutput, String>,
    /// How long it took.
    pub took: Duration,
}

/// Runs one job on the calling thread.
pub fn run_job(job: Job) -> Result<JobOutput, String> {
    let out = match job {
        Job::Decode { model, z } => model.decode(&z).map(JobOutput::Images),
        Job::Directions {
            model,
            samples,
            k,
            seed,
        } => principal_directions(&model, samples, k, seed).map(JobOutput::Directions),
        Job::Sensitivity { model, z } => sensitivity(&model, &z, 0.25).map(JobOutput::Sensitivity),
        Job::Strip { model, a, b, frames } => Interpolation::ALL
            .into_iter()
            .map(|how| {
                let z = path(&a, &b, frames, how);
                Ok(StripPath {
                    how,
                    images: model.decode(&z)?,
                    scores: model.score(&z)?,
                    z,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map(JobOutput::Strip),
        Job::Plane { model, plane } => plane.decode(&model).map(JobOutput::Images),
        Job::Invert { model, target, start } => {
            super::invert::invert(&model, &target, &start).map(JobOutput::Inversion)
        }
        Job::Compare { models, target, start } => (|| {
            let [ae, vae, gan] = *models;
            let through = |m: &Model| -> candle_core::Result<Vec<u8>> {
                match m.encode_images(&target)? {
                    Some(z) => m.decode(&z),
                    None => candle_core::bail!("{} has no encoder", m.name),
                }
            };
            let inversion = super::invert::invert(&gan, &target, &start)?;
            Ok(JobOutput::Compare(through(&ae)?, through(&vae)?, inversion))
        })(),
    };
    out.map_err(|e| e.to_string())
}

/// The job thread's loop: runs the newest job of each kind until the runner is dropped.
fn serve(
    jobs: Receiver<(u64, Job)>,
    results: std::sync::mpsc::Sender<JobResult>,
    repaint: Box<dyn Fn() + Send + Sync>,
) {
    while let Ok(first) = jobs.recv() {
        // Keep only the newest job of each kind, in submission order.
        let mut queue = vec![first];
        loop {
            match jobs.try_recv() {
                Ok(j) => queue.push(j),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return,
            }
        }
        let mut newest: Vec<(u64, Job)> = Vec::new();
        for (key, job) in queue {
            newest.retain(|(_, j)| j.kind() != job.kind());
            newest.push((key, job));
        }
        for (key, job) in newest {
            let kind = job.kind();
            let start = Instant::now();
            let output = run_job(job);
            let result = JobResult {
                key,
                kind,
                output,
                took: start.elapsed(),
            };
            if results.send(result).is_err() {
                return;
            }
            repaint();
        }
    }
}

/// Owns the `latent-jobs` thread; dropping it ends and joins the thread.
pub struct JobRunner {
    jobs: Option<Sender<(u64, Job)>>,
    results: Receiver<JobResult>,
    thread: Option<JoinHandle<()>>,
}

impl JobRunner {
    /// Starts the thread; `repaint` is called after each result.
    pub fn spawn(repaint: Box<dyn Fn() + Send + Sync>) -> std::io::Result<Self> {
        let (job_tx, job_rx) = std::sync::mpsc::channel::<(u64, Job)>();
        let (res_tx, res_rx) = std::sync::mpsc::channel();
        // A compute pool of its own, so the window's decodes never wait behind a job.
        let pool = crate::threads::compute_pool("latent-jobs-compute", 1);
        let thread = std::thread::Builder::new().name("latent-jobs".into()).spawn(move || {
            crate::threads::lower_this_threads_priority();
            let work = move || serve(job_rx, res_tx, repaint);
            match pool {
                Some(pool) => pool.install(work),
                None => work(),
            }
        })?;
        Ok(Self {
            jobs: Some(job_tx),
            results: res_rx,
            thread: Some(thread),
        })
    }

    /// Queues a job under `key` (never blocks).
    pub fn submit(&self, key: u64, job: Job) {
        if let Some(tx) = &self.jobs {
            // A send fails only once the thread has ended; then there is nobody to compute it.
            let _ = tx.send((key, job));
        }
    }

    /// The next finished job, if any (never blocks).
    pub fn try_recv(&self) -> Option<JobResult> {
        self.results.try_recv().ok()
    }
}

impl Drop for JobRunner {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
