<?cs include:"layout.cs" ?>
<?cs call:page_start("Forgot your password?") ?>
<?cs if:Sent ?>
<div class="panel" role="status">
  <p>If an account exists for that address, we have sent it a link to choose a new password.
  The link works once, for 60 minutes. Check your spam folder if it does not arrive.</p>
  <p><a href="/login">Back to sign in</a></p>
</div>
<?cs else ?>
<form method="post" action="/forgot" class="panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <p>Enter the e-mail address you sign in with, and we will send you a link to choose a new password.</p>
  <?cs call:field("email", "E-mail address", "email", Form.email, Errors.email) ?>
  <button type="submit">Send the link</button>
  <p class="muted"><a href="/login">Back to sign in</a></p>
</form>
<?cs /if ?>
<?cs call:page_end() ?>
