//! Plain types of the problem domain. No I/O and nothing of ours from outside `domain` is imported here.
pub mod citizen;
pub mod ids;
pub mod loa;
pub mod local_path;
pub mod release;
pub mod smspass;
pub mod sp;
pub mod staff;
