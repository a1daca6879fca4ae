<?cs include:"layout.cs" ?>
<?cs include:"detail_common.cs" ?>
<?cs call:page_start(Detail.title) ?>
<?cs call:detail_back() ?>
<p class="muted">One change of units billsync planned for your PSA, and every attempt to post it, oldest first (times in UTC). A change whose answer was lost is read back from the PSA before it is posted again, so a failure followed by "nothing to do" means it landed once.</p>
<?cs call:detail_fields() ?>
<?cs call:detail_attempts("change") ?>
<?cs call:page_end() ?>
