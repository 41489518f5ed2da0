<?php
/**
 * The notice a site owner sees where a widget would be, until the plugin is configured.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<p class="goldcoin-notice"><?php esc_html_e( 'Gold Coins is not configured yet: set the sidecar URL and the JWT secret in Gold Coins → Settings.', 'goldcoin' ); ?></p>
