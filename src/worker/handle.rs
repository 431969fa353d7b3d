//! The UI's side of the worker: a handle that spawns the named `trainer` thread,
//! sends commands without blocking, drains events, takes heavy payloads from
//! latest-wins slots, and stops and joins the thread when dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::run::Worker;
use super::{CodeFrame, Command, Event, ModelFrame, SampleGrid, ToyFrame, VectorFrame, WorkerOptions};

/// Called by the worker after it sends something (the UI passes `ctx.request_repaint()`).
pub type RepaintFn = Box<dyn Fn() + Send + Sync>;

/// Commands waiting in the channel before `send` reports it full.
pub const COMMAND_CAPACITY: usize = 64;
/// Light events waiting in the channel before the worker holds them back.
pub const EVENT_CAPACITY: usize = 256;

/// A latest-wins mailbox for one heavy payload: a new value replaces an untaken one.
#[derive(Debug)]
pub struct Slot<T>(Mutex<Option<T>>);

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

impl<T> Slot<T> {
    /// Stores `value`, dropping any value not yet taken.
    pub fn put(&self, value: T) {
        *self.lock() = Some(value);
    }

    /// Takes the latest value, if any.
    pub fn take(&self) -> Option<T> {
        self.lock().take()
    }

    /// Takes the latest value if `wanted` accepts it; otherwise leaves it for later.
    pub fn take_if(&self, wanted: impl FnOnce(&T) -> bool) -> Option<T> {
        let mut value = self.lock();
        if value.as_ref().is_some_and(wanted) {
            value.take()
        } else {
            None
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<T>> {
        // A panic while holding this lock cannot leave an `Option` half-written.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The heavy payloads the worker publishes.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    pub samples: Slot<SampleGrid>,
    pub vectors: Slot<VectorFrame>,
    pub model: Slot<ModelFrame>,
    pub codes: Slot<CodeFrame>,
    pub toy: Slot<ToyFrame>,
}

/// The heavy payloads of the image runs taken in one go (see
/// [`WorkerHandle::take_payloads_through`]).
#[derive(Debug, Default)]
pub struct Payloads {
    pub samples: Option<SampleGrid>,
    pub vectors: Option<VectorFrame>,
    pub model: Option<ModelFrame>,
    pub codes: Option<CodeFrame>,
}

/// Why a command was not sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    /// The command channel is full (the worker is busy); try again next frame.
    #[error("the training thread is busy")]
    Full(Box<Command>),
    /// The worker thread has ended.
    #[error("the training thread has stopped")]
    Stopped(Box<Command>),
}

impl SendError {
    /// The command that was not sent.
    pub fn into_command(self) -> Command {
        match self {
            SendError::Full(c) | SendError::Stopped(c) => *c,
        }
    }
}

/// Owns the `trainer` thread. Dropping it sets the stop flag and joins the thread.
pub struct WorkerHandle {
    commands: SyncSender<Command>,
    events: Receiver<Event>,
    slots: Arc<Slots>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    /// Spawns the `trainer` thread. `repaint` is called after the worker sends anything.
    pub fn spawn(options: WorkerOptions, repaint: RepaintFn) -> std::io::Result<Self> {
        let (cmd_tx, cmd_rx) = std::sync::mpsc::sync_channel(COMMAND_CAPACITY);
        let (ev_tx, ev_rx) = std::sync::mpsc::sync_channel(EVENT_CAPACITY);
        let slots = Arc::new(Slots::default());
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker::new(options, cmd_rx, ev_tx, slots.clone(), stop.clone(), repaint);
        // The trainer's parallel kernels run on a pool of their own: on rayon's global
        // pool, the window's own small decodes would queue behind a training batch.
        let pool = super::compute_pool("trainer-compute", super::trainer_threads());
        let thread = std::thread::Builder::new()
            .name("trainer".into())
            .spawn(move || match pool {
                Some(pool) => pool.install(|| worker.run()),
                None => worker.run(),
            })?;
        Ok(Self {
            commands: cmd_tx,
            events: ev_rx,
            slots,
            stop,
            thread: Some(thread),
        })
    }

    /// A handle with no thread behind it, for tests of the UI's side: what the returned
    /// sender and slots carry is what the UI reads (commands sent to it are refused).
    #[cfg(test)]
    pub(crate) fn detached() -> (Self, SyncSender<Event>, Arc<Slots>) {
        let (commands, _) = std::sync::mpsc::sync_channel(COMMAND_CAPACITY);
        let (ev_tx, events) = std::sync::mpsc::sync_channel(EVENT_CAPACITY);
        let slots = Arc::new(Slots::default());
        let handle = Self {
            commands,
            events,
            slots: slots.clone(),
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        (handle, ev_tx, slots)
    }

    /// Sends a command without blocking.
    pub fn send(&self, command: Command) -> Result<(), SendError> {
        self.commands.try_send(command).map_err(|e| match e {
            TrySendError::Full(c) => SendError::Full(Box::new(c)),
            TrySendError::Disconnected(c) => SendError::Stopped(Box::new(c)),
        })
    }

    /// The next event, if one is waiting (never blocks).
    pub fn try_recv(&self) -> Option<Event> {
        self.events.try_recv().ok()
    }

    /// The latest sample grid not yet taken.
    pub fn take_samples(&self) -> Option<SampleGrid> {
        self.slots.samples.take()
    }

    /// The latest vector frame (D's verdicts, the KL per dimension, …) not yet taken.
    pub fn take_vectors(&self) -> Option<VectorFrame> {
        self.slots.vectors.take()
    }

    /// The latest codes and reconstructions of real digits not yet taken.
    pub fn take_codes(&self) -> Option<CodeFrame> {
        self.slots.codes.take()
    }

    /// The latest snapshot of the live model's seams not yet taken.
    pub fn take_model(&self) -> Option<ModelFrame> {
        self.slots.model.take()
    }

    /// The latest sample grid, vector frame, codes and model snapshot not yet taken, each
    /// only if it belongs to `run` or an earlier run: a payload of a run whose `RunStarted`
    /// event the UI has not yet read stays in its slot until it has (the slots are written
    /// at once, the events may wait in the channel).
    pub fn take_payloads_through(&self, run: u64) -> Payloads {
        Payloads {
            samples: self.slots.samples.take_if(|p| p.run <= run),
            vectors: self.slots.vectors.take_if(|p| p.run <= run),
            model: self.slots.model.take_if(|p| p.run <= run),
            codes: self.slots.codes.take_if(|p| p.run <= run),
        }
    }

    /// The latest toy-game frame not yet taken.
    pub fn take_toy(&self) -> Option<ToyFrame> {
        self.slots.toy.take()
    }

    /// Asks the thread to end (it finishes the update in progress, autosaves, and returns).
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.request_stop();
        if let Some(t) = self.thread.take() {
            // A panic outside the trainer's guard already ended the thread; nothing to add.
            let _ = t.join();
        }
    }
}
