// The email checker's form: say at once that a message is over the size limit, before a
// phone sends megabytes only to hear it from the server (which checks again anyway, and
// refuses a paste over Django's request limit with a bare error page).
(() => {
  const tooBig = (form) => {
    const limit = Number(form.dataset.maxBytes);
    const text = form.querySelector("textarea[name=source]");
    const file = form.querySelector("input[type=file][name=upload]");
    return (text && new Blob([text.value]).size > limit)
      || (file && file.files.length > 0 && file.files[0].size > limit);
  };
  const show = (form, on) => {
    const box = form.querySelector("[data-size-error]");
    if (!box) return;
    box.textContent = on ? form.dataset.tooBig : "";
    box.hidden = !on;
  };
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-max-bytes]");
    if (!form) return;
    if (tooBig(form)) {
      event.preventDefault();
      show(form, true);
    } else {
      show(form, false);
    }
  });
  document.addEventListener("change", (event) => {
    const form = event.target.closest("form[data-max-bytes]");
    if (form && event.target.type === "file") show(form, tooBig(form));
  });
})();
