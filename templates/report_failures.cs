<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Failure log") ?>
<?cs call:adjustment_tabs() ?>
<p class="muted">Changes and one-time charges billsync could not post, with the reason the PSA (or billsync) gave; open a row's date to see every attempt. Changes are retried by themselves with growing pauses (at most an hour) until they post; "—" under Next try means one needs you: fix the cause (a contract's dates, proration, credentials), then retry it, or give it up with a reason. A failed annual charge is tried again by the next sync; a usage charge by the syncs of a month's first three days, or by applying that month's billing review. Run this report before invoicing.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
