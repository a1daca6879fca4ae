<?cs include:"layout.cs" ?>
<?cs include:"report_common.cs" ?>
<?cs call:page_start("Linked subscriptions") ?>
<?cs call:report_tabs() ?>
<p class="muted">Resources linked to a PSA contract service: changes in their count are posted to the PSA as they happen. PSA units are as last read from the PSA; the difference is what is still to post. An annual subscription linked to a contract is billed there as one-time charges ("annual charges"). Usage (backup storage) is counted in GB and totalled apart from seats.</p>
<?cs call:report_body() ?>
<?cs call:page_end() ?>
