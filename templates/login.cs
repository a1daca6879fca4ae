<?cs include:"layout.cs" ?>
<?cs call:page_start("Sign in") ?>
<?cs if:Notice ?><div class="flash" role="status"><?cs var:Notice ?></div><?cs /if ?>
<?cs if:Error ?><div class="alert" role="alert"><?cs var:Error ?></div><?cs /if ?>
<form method="post" action="/login" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <input type="hidden" name="next" value="<?cs var:Form.next ?>">
  <div class="field">
    <label for="f-email">E-mail address</label>
    <input id="f-email" name="email" type="email" value="<?cs var:Form.email ?>" autocomplete="username" required autofocus>
  </div>
  <div class="field">
    <label for="f-password">Password</label>
    <input id="f-password" name="password" type="password" autocomplete="current-password" required>
  </div>
  <button type="submit">Sign in</button>
  <p class="muted"><a href="/forgot">Forgot your password?</a></p>
</form>
<?cs call:page_end() ?>
