import { render } from 'preact';
import { encode } from 'uqr';
class W extends HTMLElement { connectedCallback() { const r = this.attachShadow({mode:'open'}); render(<p>{encode('x').size}</p>, r); } }
customElements.define('goldcoin-widget', W);
