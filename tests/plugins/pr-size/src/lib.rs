//! Fixture (issue 21's `pr-size`): sizes a pull request by the lines it changes,
//! read from the pull request record (`github::get_pull_request`, so no payload is
//! read by hand and nothing is kept in `kv`): labels it `size/XS` to `size/XL` when
//! it is opened, reopened or pushed to (taking off a size label it outgrew), and
//! answers `/size` with the size. The thresholds come from its configuration.
use gantry_plugin_sdk::events::TypedEvent;
use gantry_plugin_sdk::{
    config, github, info, Command, Context as _, Error, Event, Plugin, Repo, Written,
};
use serde::Deserialize;

/// The sizes, smallest first.
const SIZES: [&str; 5] = ["XS", "S", "M", "L", "XL"];

/// Lines changed below which a pull request has each size but the last.
#[derive(Debug, Deserialize)]
struct Thresholds {
    xs: u64,
    s: u64,
    m: u64,
    l: u64,
}

impl Thresholds {
    fn size(&self, lines: u64) -> &'static str {
        let below = [self.xs, self.s, self.m, self.l];
        let index = below.iter().take_while(|t| lines >= **t).count();
        SIZES[index]
    }
}

/// The pull request's size label and the lines it changes, from GitHub.
fn measure(repo: &Repo, number: u64) -> Result<(String, u64), Error> {
    let thresholds: Thresholds = config::get()?;
    let pull = github::get_pull_request(repo, number)
        .with_context(|| format!("reading pull request #{number}"))?;
    let lines = pull.additions + pull.deletions;
    Ok((format!("size/{}", thresholds.size(lines)), lines))
}

struct PrSize;

impl Plugin for PrSize {
    fn handle_event(event: Event) -> Result<(), Error> {
        let TypedEvent::PullRequest(pr) = event.typed()? else {
            return Ok(());
        };
        let repo = event.repo().context("the event names no repository")?;
        let number = pr.number;
        let (label, lines) = measure(&repo, number)?;
        for old in pr.pull_request.label_names() {
            if old.starts_with("size/") && old != label {
                let _ = github::remove_label(&repo, number, &old)?;
            }
        }
        match github::add_labels(&repo, number, &[label.clone()])? {
            Written::Done(_) => info!("#{number}: {lines} lines changed, {label}"),
            Written::Held(held) => info!("#{number}: adding {label} is {held}"),
        }
        Ok(())
    }

    fn handle_command(command: Command) -> Result<(), Error> {
        let repo = command
            .event
            .repo()
            .context("the event names no repository")?;
        let (label, lines) = measure(&repo, command.number)?;
        let text = format!("This pull request changes {lines} lines: {label}.");
        let _ = github::create_comment(&repo, command.number, &text)?;
        info!("/size on #{}: {label}", command.number);
        Ok(())
    }
}

gantry_plugin_sdk::register_plugin!(PrSize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_threshold_starts_the_next_size() {
        let t = Thresholds {
            xs: 10,
            s: 30,
            m: 100,
            l: 500,
        };
        let sizes: Vec<&str> = [0, 9, 10, 29, 30, 99, 100, 499, 500, 10_000]
            .into_iter()
            .map(|n| t.size(n))
            .collect();
        assert_eq!(
            sizes,
            ["XS", "XS", "S", "S", "M", "M", "L", "L", "XL", "XL"]
        );
    }
}
