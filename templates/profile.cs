<?cs include:"layout.cs" ?>
<?cs call:page_start("Your profile") ?>
<section class="panel">
  <p><?cs var:Me.email ?> · <span class="badge"><?cs var:Me.role ?></span></p>
</section>
<section class="panel" id="two-factor">
  <h2>Two-factor sign-in</h2>
  <?cs if:Me.totp == "1" ?>
    <p><span class="badge ok">on</span> You give a code from your authenticator app at each sign-in.</p>
    <?cs if:Require2fa != "1" ?>
    <form method="post" action="/profile">
      <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
      <input type="hidden" name="action" value="totp_off">
      <div class="field<?cs if:Errors.off ?> has-error<?cs /if ?>">
        <label for="f-offcode">Current code, to turn it off</label>
        <input id="f-offcode" name="code" inputmode="numeric" autocomplete="one-time-code">
        <?cs if:Errors.off ?><p class="error"><?cs var:Errors.off ?></p><?cs /if ?>
      </div>
      <button type="submit" class="danger">Turn off</button>
    </form>
    <?cs else ?><p class="muted">Your company requires it.</p><?cs /if ?>
  <?cs elif:Enrol.secret ?>
    <?cs if:Require2fa == "1" ?><div class="alert">Your company requires two-factor sign-in. Finish these steps to continue.</div><?cs /if ?>
    <ol>
      <li>Scan this code with your authenticator app (or type the secret in):
        <p><img src="/profile/qr.svg" alt="QR code for your authenticator app" width="200" height="200"></p>
        <p>Secret: <code><?cs var:Enrol.secret ?></code></p>
        <p class="muted">Link: <code><?cs var:Enrol.uri ?></code></p></li>
      <li>Enter the 6-digit code the app shows:
        <form method="post" action="/profile">
          <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
          <input type="hidden" name="action" value="totp_confirm">
          <?cs call:field("code", "Code", "text", "", Errors.code) ?>
          <button type="submit">Turn on</button>
        </form></li>
    </ol>
  <?cs else ?>
    <?cs if:Require2fa == "1" ?><div class="alert">Your company requires two-factor sign-in. Turn it on to continue.</div><?cs /if ?>
    <p>Protect your account with a code from an authenticator app at each sign-in.</p>
    <form method="post" action="/profile">
      <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
      <input type="hidden" name="action" value="totp_start">
      <button type="submit">Set up two-factor sign-in</button>
    </form>
  <?cs /if ?>
</section>
<section class="panel">
  <h2>Change your password</h2>
  <form method="post" action="/profile">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <input type="hidden" name="action" value="password">
    <?cs call:field("current", "Current password", "password", "", Errors.current) ?>
    <?cs call:field("password", "New password (at least 12 characters)", "password", "", Errors.password) ?>
    <?cs call:field("confirm", "The same again", "password", "", Errors.confirm) ?>
    <button type="submit">Change password</button>
  </form>
</section>
<?cs call:page_end() ?>
