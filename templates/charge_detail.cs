<?cs include:"layout.cs" ?>
<?cs include:"detail_common.cs" ?>
<?cs call:page_start(Detail.title) ?>
<?cs call:detail_back() ?>
<p class="muted">One one-time charge billsync created or tried to create in your PSA, and every attempt, oldest first (times in UTC). The charge carries its key in the PSA: before creating it again, billsync looks for it there, so a lost answer is found, not charged twice.</p>
<?cs call:detail_fields() ?>
<?cs call:detail_attempts("charge") ?>
<?cs call:page_end() ?>
