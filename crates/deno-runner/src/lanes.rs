//! Running several invocations at once: each lane runs its invocations one after
//! another, the lanes run side by side.

use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use anyhow::Result;

use crate::invocation::Invocation;
use crate::run::{Completed, Deno, Running};

/// How an invocation of a batch ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It ran to the end (successfully or not).
    Finished(Completed),
    /// It was stopped because another one failed under fail-fast.
    Cancelled(Completed),
    /// It never started because another one failed under fail-fast.
    Skipped,
}

impl Outcome {
    /// The completed process, if it started.
    pub fn completed(&self) -> Option<&Completed> {
        match self {
            Outcome::Finished(completed) | Outcome::Cancelled(completed) => Some(completed),
            Outcome::Skipped => None,
        }
    }

    /// Whether it ran to the end and succeeded.
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Finished(completed) if completed.success())
    }
}

/// Runs `invocations` in `lanes` (each a list of indices into `invocations`; every index
/// in exactly one lane). With `fail_fast`, the first failure stops everything still
/// running and skips what has not started. `on_outcome` is called as each one ends
/// (for skipped ones, at the end).
/// Returns the outcomes in the order of `invocations`.
pub fn run_lanes(
    deno: &Deno,
    invocations: &[Invocation],
    lanes: &[Vec<usize>],
    fail_fast: bool,
    mut on_outcome: impl FnMut(usize, &Outcome),
) -> Result<Vec<Outcome>> {
    let mut running = Vec::with_capacity(lanes.len());
    let result = drive(
        deno,
        invocations,
        lanes,
        fail_fast,
        &mut running,
        &mut on_outcome,
    );
    if result.is_err() {
        // Leave no deno behind when a process could not be started or polled.
        for (_, process) in running.iter_mut().filter_map(Option::take) {
            let _ = process.kill();
        }
    }
    Ok(result?
        .into_iter()
        .enumerate()
        .map(|(index, outcome)| {
            outcome.unwrap_or_else(|| {
                on_outcome(index, &Outcome::Skipped);
                Outcome::Skipped
            })
        })
        .collect())
}

/// The processes running, one slot per lane, with the index of their invocation.
type Slots = Vec<Option<(usize, Running)>>;

/// Runs the lanes to the end; outcomes of invocations never started stay `None`.
fn drive(
    deno: &Deno,
    invocations: &[Invocation],
    lanes: &[Vec<usize>],
    fail_fast: bool,
    running: &mut Slots,
    on_outcome: &mut impl FnMut(usize, &Outcome),
) -> Result<Vec<Option<Outcome>>> {
    let mut outcomes: Vec<Option<Outcome>> = vec![None; invocations.len()];
    let mut next = vec![0usize; lanes.len()];
    // Told when a process's output ends, which is when it exits (or, where something it
    // started keeps the output open, found by polling).
    let (ended, output_ended) = mpsc::channel();
    running.resize_with(lanes.len(), || None);
    // The last lane first: a plan puts the tests, the longest gates, in the last lane.
    for (lane_index, lane) in lanes.iter().enumerate().rev() {
        running[lane_index] = start_next(deno, invocations, lane, &mut next[lane_index], &ended)?;
    }

    let mut failed = false;
    let mut poll = POLL;
    while running.iter().any(Option::is_some) {
        let mut progressed = false;
        for (lane_index, slot) in running.iter_mut().enumerate() {
            let Some((index, process)) = slot else {
                continue;
            };
            if !process.has_exited()? {
                continue;
            }
            progressed = true;
            let index = *index;
            let (_, process) = slot.take().expect("the slot holds a process");
            let outcome = Outcome::Finished(process.wait()?);
            failed |= !outcome.passed();
            on_outcome(index, &outcome);
            outcomes[index] = Some(outcome);
            if !(failed && fail_fast) {
                *slot = start_next(
                    deno,
                    invocations,
                    &lanes[lane_index],
                    &mut next[lane_index],
                    &ended,
                )?;
            }
        }
        if failed && fail_fast {
            for slot in running.iter_mut() {
                if let Some((index, process)) = slot.take() {
                    let outcome = Outcome::Cancelled(process.kill()?);
                    on_outcome(index, &outcome);
                    outcomes[index] = Some(outcome);
                }
            }
        }
        if !progressed {
            // An output that ended belongs to a process exiting now: look again soon.
            poll = match output_ended.recv_timeout(poll) {
                Ok(()) => Duration::from_micros(200),
                Err(_) => POLL,
            };
        }
    }
    Ok(outcomes)
}

/// How often processes are looked at when none has said it is ending.
const POLL: Duration = Duration::from_millis(5);

fn start_next(
    deno: &Deno,
    invocations: &[Invocation],
    lane: &[usize],
    next: &mut usize,
    ended: &Sender<()>,
) -> Result<Option<(usize, Running)>> {
    let Some(&index) = lane.get(*next) else {
        return Ok(None);
    };
    *next += 1;
    let running = deno.spawn_telling(&invocations[index], Some(ended.clone()))?;
    Ok(Some((index, running)))
}
