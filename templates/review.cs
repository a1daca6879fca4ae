<?cs include:"layout.cs" ?>
<?cs call:page_start("Monthly billing review") ?>
<div class="panel">
  <p>Choose the month to review. billsync retrieves that month's billing lines from your distributors,
  compares each line with the contracts in your PSA, and lets you update quantities, create what is missing
  and approve the changes before they are applied.</p>
  <form method="post" action="/review" class="filters">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <div class="field"><label for="f-month">Month</label>
      <select id="f-month" name="month">
      <?cs each:o = Months ?><option value="<?cs var:o.value ?>"><?cs var:o.value ?></option><?cs /each ?>
      </select></div>
    <button type="submit">Open the review</button>
  </form>
</div>
<?cs call:page_end() ?>
