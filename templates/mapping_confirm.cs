<?cs include:"layout.cs" ?>
<?cs call:page_start("Confirm") ?>
<section class="panel">
  <?cs if:Confirm.action == "set" ?>
  <p>Link the <?cs var:Confirm.level ?> <strong><?cs var:Confirm.name ?></strong> to <strong><?cs var:Confirm.target_label ?></strong>?</p>
  <?cs if:Confirm.level == "resource" ?><p class="muted">billsync then compares the seats on both sides once and plans the difference.</p><?cs /if ?>
  <?cs elif:Confirm.action == "create" ?>
  <p>Create <strong><?cs var:Confirm.name ?></strong> in the PSA as a new <?cs if:Confirm.level == "company" ?>account<?cs elif:Confirm.level == "subscription" ?>contract<?cs else ?>service<?cs /if ?>, and link it?</p>
  <?cs if:Confirm.price ?><p class="price-preview">Unit price <strong><?cs var:Confirm.price ?></strong>, cost <?cs var:Confirm.cost ?>, margin <?cs var:Confirm.margin ?> (<a href="/settings/pricing">price policies</a>).</p><?cs /if ?>
  <?cs if:Confirm.refused ?><p class="error"><?cs var:Confirm.refused ?></p><?cs /if ?>
  <?cs else ?>
  <p>Clear the relation of the <?cs var:Confirm.level ?> <strong><?cs var:Confirm.name ?></strong>? billsync stops posting its changes; the history is kept.</p>
  <?cs /if ?>
  <form method="post" action="/mapping" class="inline">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="<?cs var:Confirm.action ?>">
    <input type="hidden" name="level" value="<?cs var:Confirm.level ?>">
    <input type="hidden" name="row" value="<?cs var:Confirm.row ?>">
    <input type="hidden" name="target" value="<?cs var:Confirm.target ?>">
    <input type="hidden" name="back" value="<?cs var:Confirm.back ?>">
    <input type="hidden" name="confirm" value="1">
    <button type="submit"><?cs if:Confirm.action == "set" ?>Set Relation<?cs elif:Confirm.action == "create" ?>Create and link<?cs else ?>Unset Relation<?cs /if ?></button>
  </form>
  <a class="button secondary" href="/mapping?<?cs var:Confirm.back ?>">Cancel</a>
</section>
<?cs call:page_end() ?>
