// Settings: live preview of the branding, without saving.
document.addEventListener('DOMContentLoaded', () => {
  const $ = (s) => document.querySelector(s);
  const sync = () => {
    $('#pv-head').textContent = $('#title').value;
    $('#pv-greeting').textContent = $('#greeting').value;
    $('#pv-head').style.background = $('#color').value;
    $('#pv-bubble').style.background = $('#color').value;
    document.querySelector('.preview').dataset.position = $('#position').value;
  };
  document.querySelectorAll('[data-preview]').forEach((el) => el.addEventListener('input', sync));
  sync();
});
