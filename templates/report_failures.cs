<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Failure log") ?>
<?cs call:adjustment_tabs() ?>
<p class="muted">Changes billsync could not post, with the reason the PSA (or billsync) gave. They are retried by themselves with growing pauses (at most an hour) until they post; "—" under Next try means one needs you: fix the cause (a contract's dates, proration, credentials), then retry it, or give it up with a reason. Run this report before invoicing.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
