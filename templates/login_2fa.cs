<?cs include:"layout.cs" ?>
<?cs call:page_start("Two-factor sign-in") ?>
<?cs if:Error ?><div class="alert" role="alert"><?cs var:Error ?></div><?cs /if ?>
<form method="post" action="/login/2fa" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="next" value="<?cs var:Form.next ?>">
  <p>Enter the 6-digit code from your authenticator app.</p>
  <div class="field">
    <label for="f-code">Code</label>
    <input id="f-code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required autofocus>
  </div>
  <button type="submit">Verify</button>
</form>
<form method="post" action="/logout" class="inline">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <button type="submit" class="secondary">Cancel and sign out</button>
</form>
<?cs call:page_end() ?>
