// capa's only script of its own, loaded as a module at the end of <body>.
//
// NHS.UK frontend normally marks the body with an inline script at the top of <body>; capa's
// Content-Security-Policy allows no inline script, so the classes are set here, before initAll().
// (Only browsers that run module scripts get here, which is what nhsuk-frontend-supported means.)
import {
  Button,
  CharacterCount,
  Checkboxes,
  createAll,
  ErrorSummary,
  initAll,
  isInitialised,
  NotificationBanner,
  Radios,
  Table,
  Tabs,
} from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Content that htmx swaps in (search results, booking conflicts, progress) gets the same
// behaviour: the components in the new content only, so nothing is initialised twice.
const swappable = [Button, CharacterCount, Checkboxes, ErrorSummary, NotificationBanner, Radios, Table, Tabs];

document.addEventListener("htmx:load", (event) => {
  const root = event.target;
  if (!(root instanceof HTMLElement) || root === document.body) {
    return;
  }
  for (const Component of swappable) {
    if (root.matches(`[data-module="${Component.moduleName}"]`) && !isInitialised(root, Component.moduleName)) {
      try {
        new Component(root);
      } catch (error) {
        console.log(error);
      }
    }
    createAll(Component, undefined, root);
  }
});

// A filter form that searches as it changes (hx-trigger="change") must not search on a date that
// is only partly typed: leaving the day box would search, fail on "Date must include a month and
// year", and swap an error in while the month and year are still to come. A date searches once
// all of its boxes are filled, or all are empty again.
document.addEventListener("htmx:confirm", (event) => {
  const trigger = event.detail.triggeringEvent;
  const group = trigger?.type === "change" && trigger.target instanceof HTMLElement
    ? trigger.target.closest(".nhsuk-date-input")
    : null;
  if (!group) {
    return;
  }
  const parts = [...group.querySelectorAll("input")].map((input) => input.value.trim() !== "");
  if (parts.some(Boolean) && !parts.every(Boolean)) {
    event.preventDefault();
  }
});

// A form that searches as it changes shows its errors by the fields, not only in the summary by
// the results: the server swaps in the groups that show an error now and, to clear them, those
// that showed one before, which only the page knows. The form names those here, by their error
// message (not by the group's class: htmx keeps a swapped element's old class while it settles, and
// a request queued behind the last one goes out before then).
document.addEventListener("htmx:configRequest", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement)) {
    return;
  }
  const shown = [...form.querySelectorAll(".nhsuk-form-group[id]")]
    .filter((group) => group.querySelector(".nhsuk-error-message"))
    .map((group) => group.id);
  if (shown.length) {
    event.detail.headers["Capa-Errors-Shown"] = shown.join(" ");
  }
});

// A field swapped in keeps whatever was typed, chosen or ticked in it while the search ran (the
// server could only echo what was sent), and the box being typed in keeps its selection (htmx
// gives the focus back, but not a selection starting at 0, such as a box tabbed into). A group that
// holds the focus and would show the same message is left alone, so that a screen reader does not
// read the box out again at every pause in the typing.
let selectionKept = null;

document.addEventListener("htmx:oobBeforeSwap", (event) => {
  const { target, fragment } = event.detail;
  const active = document.activeElement;
  if (active && target.contains(active)) {
    const message = (root) => root.querySelector(".nhsuk-error-message")?.textContent ?? "";
    if (message(target) === message(fragment)) {
      event.detail.shouldSwap = false;
      return;
    }
    if (active.id && typeof active.selectionStart === "number") {
      selectionKept = {
        id: active.id,
        start: active.selectionStart,
        end: active.selectionEnd,
        direction: active.selectionDirection,
      };
    }
  }
  for (const old of target.querySelectorAll("input[id], select[id], textarea[id]")) {
    const fresh = fragment.querySelector(`#${CSS.escape(old.id)}`);
    if (!fresh) {
      continue;
    }
    if (old.type === "checkbox" || old.type === "radio") {
      fresh.checked = old.checked;
    } else {
      fresh.value = old.value;
    }
  }
});

document.addEventListener("htmx:afterSwap", () => {
  if (!selectionKept) {
    return;
  }
  const box = document.getElementById(selectionKept.id);
  if (box) {
    if (document.activeElement !== box) {
      box.focus({ preventScroll: true });
    }
    box.setSelectionRange(selectionKept.start, selectionKept.end, selectionKept.direction);
  }
  selectionKept = null;
});
