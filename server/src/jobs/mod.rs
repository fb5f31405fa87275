//! Background work: one leasing loop per process keeps up to `worker.in_flight` jobs
//! in flight (`leasing.rs`), each job a task of its own (`job.rs`) that waits on
//! GitHub without holding anything but its place; and the timers beside it
//! (approvals sweep, scheduled ticks, pruning idempotency records) in `worker.rs`.
mod job;
mod leasing;
pub mod worker;

pub use worker::WorkerPool;
