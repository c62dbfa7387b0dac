// The sign-in page, and loading the signed-in user (name, roles, the nav links they may use).
import { TOKEN_KEY, api, can, errorBox, esc, main, signOut, state, words } from "./core.js";

export function loginPage() {
  document.getElementById("nav").hidden = true;
  document.getElementById("who").textContent = "";
  main().innerHTML = `
    <h1>Sign in</h1>
    <form class="card login" id="login">
      <label>Access token
        <input name="token" type="password" autocomplete="off" required
               placeholder="rt_…  (printed by 'rectrack up', or 'rectrack users token NAME')">
      </label>
      <p><button type="submit">Sign in</button></p>
      <div id="login-error"></div>
    </form>`;
  document.getElementById("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, new FormData(event.target).get("token").trim());
    try {
      await loadMe();
      location.hash = "#/inbox";
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
      document.getElementById("login-error").innerHTML = errorBox(error);
    }
  });
}

export async function loadMe() {
  state.me = await api("GET", "/me");
  document.getElementById("nav").hidden = false;
  const who = document.getElementById("who");
  who.innerHTML = `${esc(state.me.display_name)} <span class="muted">(${
    state.me.roles.map(words).join(", ")})</span> <button class="secondary" id="signout">Sign out</button>`;
  document.getElementById("signout").addEventListener("click", () => signOut("Signed out."));
  for (const link of document.querySelectorAll("nav a[data-ability]")) {
    link.hidden = !can(link.dataset.ability);
  }
}
