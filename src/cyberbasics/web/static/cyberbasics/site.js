// The only script of our own: copy buttons. Everything else is plain HTML and htmx.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.dataset.copied || "Copied";
    const before = button.textContent;
    button.textContent = label;
    setTimeout(() => { button.textContent = before; }, 2000);
  });
});
// htmx sends the CSRF token from the page's <meta name="csrf-token">.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
});
