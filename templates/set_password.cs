<?cs include:"layout.cs" ?>
<?cs call:page_start(Page.title) ?>
<?cs if:Invalid ?>
<div class="panel">
  <p>This link cannot be used: it has expired, it was used already, or it is incomplete.</p>
  <?cs if:Purpose == "invite" ?>
  <p>Ask an administrator of your company to invite you again.</p>
  <?cs else ?>
  <p><a href="/forgot">Ask for a new link</a>. Nothing was changed.</p>
  <?cs /if ?>
</div>
<?cs else ?>
<form method="post" action="<?cs var:Action ?>" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="token" value="<?cs var:Token ?>">
  <p>Account: <strong><?cs var:Email ?></strong></p>
  <p class="muted">At least 12 characters. A few unrelated words make a good one.</p>
  <div class="field<?cs if:Errors.password ?> has-error<?cs /if ?>">
    <label for="f-password">New password</label>
    <input id="f-password" name="password" type="password" autocomplete="new-password" required>
    <?cs if:Errors.password ?><p class="error"><?cs var:Errors.password ?></p><?cs /if ?>
  </div>
  <div class="field<?cs if:Errors.confirm ?> has-error<?cs /if ?>">
    <label for="f-confirm">The same again</label>
    <input id="f-confirm" name="confirm" type="password" autocomplete="new-password" required>
    <?cs if:Errors.confirm ?><p class="error"><?cs var:Errors.confirm ?></p><?cs /if ?>
  </div>
  <button type="submit">Save the password</button>
</form>
<?cs /if ?>
<?cs call:page_end() ?>
