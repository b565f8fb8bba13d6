// The console's few behaviours, as a file: its pages allow no inline script (Content-Security-Policy).
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('[data-submit-on-change]').forEach((el) => el.addEventListener('change', () => el.form.submit()));
  document.querySelectorAll('[data-percent]').forEach((el) => { el.style.width = `${Number(el.dataset.percent) || 0}%`; });
});
