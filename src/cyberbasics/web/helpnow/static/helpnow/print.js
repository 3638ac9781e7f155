// "Print this page" on a playbook: shown only when script runs (without it, the browser's
// own print still uses the print styles in help.css).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.print-page")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
});
