<?cs # checklist.cs: the pre-invoicing checklist (doc/seeds.md 001): Items.N {key label count count_text
     clear href detail}, then Ready, or Open and LeftText naming what is left; Margin.{count threshold href}:
     the margin report's flagged rows, for information (not an item). ?>
<?cs include:"layout.cs" ?>
<?cs call:page_start("Pre-invoicing checklist") ?>
<?cs if:Ready ?>
<div class="verdict ready" id="checklist-ready" role="status">
  <strong>Ready to invoice.</strong> Every item below is clear: head to your PSA, generate and send the invoices.
</div>
<?cs else ?>
<div class="verdict not-ready" id="checklist-not-ready" role="status">
  <strong>Not ready to invoice yet:</strong> <?cs var:Open ?> item<?cs if:Open != "1" ?>s<?cs /if ?> left.
  <ul class="left">
  <?cs each:l = Left ?><li><?cs var:l ?></li><?cs /each ?>
  </ul>
</div>
<?cs /if ?>
<p class="muted">Go through these before invoicing each month, so that no purchase goes un-invoiced. The review is of <?cs var:Review.label ?>.</p>
<ol class="checklist">
<?cs each:i = Items ?>
  <li class="check-item <?cs if:i.clear == "1" ?>clear<?cs else ?>open<?cs /if ?>" id="check-<?cs var:i.key ?>" data-count="<?cs var:i.count ?>" data-clear="<?cs var:i.clear ?>">
    <span class="tick" aria-hidden="true"><?cs if:i.clear == "1" ?>✓<?cs else ?>!<?cs /if ?></span>
    <div class="check-body">
      <a class="check-title" href="<?cs var:i.href ?>"><?cs var:i.label ?></a>
      <span class="badge <?cs if:i.clear == "1" ?>ok<?cs else ?>bad<?cs /if ?> check-count"><?cs var:i.count_text ?></span>
      <div class="muted small"><?cs if:i.clear == "1" ?><?cs var:i.detail ?><?cs else ?><?cs var:i.detail ?>.<?cs /if ?></div>
    </div>
  </li>
<?cs /each ?>
</ol>
<p class="check-info" id="check-margin" data-count="<?cs var:Margin.count ?>"><a href="<?cs var:Margin.href ?>">Low margin</a>:
  <span class="badge <?cs if:Margin.count == "0" ?>ok<?cs else ?>warn<?cs /if ?> check-count"><?cs var:Margin.count ?></span>
  <span class="muted small"><?cs if:Margin.count == "0" ?>No linked product loses money or sells under <?cs var:Margin.threshold ?> % margin.<?cs else ?>product<?cs if:Margin.count != "1" ?>s<?cs /if ?> losing money or under <?cs var:Margin.threshold ?> % margin: check the prices before invoicing (this does not hold the invoicing back).<?cs /if ?></span></p>
<?cs call:page_end() ?>
