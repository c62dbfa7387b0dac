// Signing in and out: the sign-in form (username, password, and the code of a second factor
// when the account has one), one-time sign-in links, the password-reset page, and loading
// the signed-in user (name, roles, the nav links they may use). The session lives in a
// cookie this script cannot read; the page keeps only the session's CSRF token.
import { api, can, errorBox, esc, main, route, signOut, state, words } from "./core.js";
import { t } from "./i18n.js";

function hideNav() {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").textContent = "";
}

export function loginPage(message = "") {
  hideNav();
  main().innerHTML = `
    <h1>${esc(t("Sign in"))}</h1>
    <form class="card login" id="login" method="post">
      ${message ? `<p class="muted">${esc(message)}</p>` : ""}
      <label>${esc(t("Username"))}
        <input name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required>
      </label>
      <label>${esc(t("Password"))}
        <input name="password" type="password" autocomplete="current-password" required>
      </label>
      <div id="enrol"></div>
      <label id="code-field" hidden>${esc(t("Code from your authenticator app"))}
        <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}">
      </label>
      <p><button type="submit">${esc(t("Sign in"))}</button></p>
      <div id="login-error"></div>
      <p id="sso" hidden><a href="/api/v1/oidc/login">${esc(t("Sign in with your organisation's account"))}</a></p>
    </form>`;
  api("GET", "/sign-in-options").then((options) => {
    document.getElementById("sso").hidden = !options.single_sign_on;
  }).catch(() => null);
  const form = document.getElementById("login");
  let enrolSecret = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { username: data.get("username").trim(), password: data.get("password") };
    if (data.get("code")) body.code = data.get("code").replace(/\s/g, "");
    if (enrolSecret) body.enrol_secret = enrolSecret;
    const box = document.getElementById("login-error");
    box.innerHTML = "";
    try {
      await startSession("/session", body);
    } catch (error) {
      const code = error.body && error.body.code;
      if (["totp_required", "totp_failed", "totp_enrolment_required"].includes(code)) {
        document.getElementById("code-field").hidden = false;
        form.elements.code.required = true;
        form.elements.code.focus();
      }
      if (code === "totp_enrolment_required") {
        enrolSecret = error.body.enrol.secret;
        showEnrolment(error.body.enrol);
        return;
      }
      box.innerHTML = errorBox(error);
    }
  });
}

function showEnrolment(enrol) {
  document.getElementById("enrol").innerHTML = `
    <div class="notice">
      <p>${esc(t("Your role requires a second factor. Add this key to an authenticator app, then enter the code it shows."))}</p>
      <img class="qr" alt="${esc(t("QR code of the key"))}" src="${esc(enrol.qr)}">
      <p>${esc(t("Key"))}: <code class="secret">${esc(enrol.secret.replace(/(.{4})/g, "$1 ").trim())}</code></p>
      <p><a href="${esc(enrol.uri)}">${esc(t("Open in an authenticator app"))}</a></p>
    </div>`;
}

async function startSession(path, body) {
  const session = await api("POST", path, { body });
  state.csrf = session.csrf_token;
  await loadMe();
  history.replaceState(null, "", `${location.pathname}#/inbox`);
  await route();
}

// 'rectrack up' and administrators hand out one-time sign-in links (#/link/<token>).
export async function linkPage(token) {
  hideNav();
  main().innerHTML = `<p class="muted">${esc(t("Signing in…"))}</p>`;
  history.replaceState(null, "", `${location.pathname}#/inbox`);
  const body = { token };
  const attempt = async () => {
    try {
      await startSession("/session/link", body);
    } catch (error) {
      const code = error.body && error.body.code;
      if (!["totp_required", "totp_failed", "totp_enrolment_required"].includes(code)) {
        loginPage();
        document.getElementById("login-error").innerHTML = errorBox(error);
        return;
      }
      // The link stands for the password only: the second factor's code too.
      if (code === "totp_enrolment_required") body.enrol_secret = error.body.enrol.secret;
      linkCodeForm(error, attempt, body);
    }
  };
  await attempt();
}

function linkCodeForm(error, attempt, body) {
  main().innerHTML = `
    <h1>${esc(t("Sign in"))}</h1>
    <form class="card login" id="link-code">
      <div id="enrol"></div>
      <label>${esc(t("Code from your authenticator app"))}
        <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,7}" required>
      </label>
      <p><button type="submit">${esc(t("Sign in"))}</button></p>
      <div id="login-error">${error.body.code === "totp_failed" ? errorBox(error) : ""}</div>
    </form>`;
  if (error.body.enrol) showEnrolment(error.body.enrol);
  const form = document.getElementById("link-code");
  form.elements.code.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    body.code = new FormData(form).get("code").replace(/\s/g, "");
    await attempt();
  });
}

// A password-reset link from an administrator (#/reset/<token>): choose a new password.
export function resetPage(token) {
  hideNav();
  main().innerHTML = `
    <h1>${esc(t("Choose a new password"))}</h1>
    <form class="card login" id="reset">
      <p class="muted">${esc(t("At least 12 characters; not a common password, and not your name."))}</p>
      <label>${esc(t("New password"))}
        <input name="password" type="password" autocomplete="new-password" minlength="12" required>
      </label>
      <p><button type="submit">${esc(t("Set the password"))}</button></p>
      <div id="reset-error"></div>
    </form>`;
  document.getElementById("reset").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = new FormData(event.target).get("password");
    try {
      await api("POST", "/password-reset", { body: { token, password } });
      history.replaceState(null, "", `${location.pathname}#/login`);
      loginPage(t("Your password is set. Sign in with it."));
    } catch (error) {
      document.getElementById("reset-error").innerHTML = errorBox(error);
    }
  });
}

// The buttons carry data-i18n so that a language picked later relabels them (translatePage).
export async function loadMe() {
  state.me = await api("GET", "/me");
  if (!state.csrf) state.csrf = (await api("GET", "/session")).csrf_token;
  document.getElementById("nav").hidden = false;
  const who = document.getElementById("who");
  who.innerHTML = `${esc(state.me.display_name)} <span class="muted">(${
    state.me.roles.map(words).join(", ")})</span>
    <button class="secondary" id="signout" data-i18n="Sign out">${esc(t("Sign out"))}</button>
    <button class="secondary" id="signout-all" data-i18n="End all my sessions">${esc(t("End all my sessions"))}</button>`;
  document.getElementById("signout").addEventListener("click", async () => {
    await api("DELETE", "/session").catch(() => null);
    signOut(t("Signed out."));
  });
  document.getElementById("signout-all").addEventListener("click", async () => {
    const ended = await api("DELETE", "/sessions").catch(() => null);
    signOut(t("Signed out on every device ({count} sessions).", { count: ended ? ended.ended : 0 }));
  });
  for (const link of document.querySelectorAll("nav a[data-ability]")) {
    link.hidden = !can(link.dataset.ability);
  }
}
