<?php
/**
 * Plugin Name:       Gold Coins
 * Description:       A gold-coin wallet for content sites: visitors recharge coins with crypto (CoinPayments) and spend them to unlock posts and EA downloads.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.2
 * Author:            Gold Coins
 * License:           GPL-2.0-or-later
 * Text Domain:       goldcoin
 * Domain Path:       /languages
 *
 * Header and bootstrap: loads one class per concern and wires their hooks.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'GOLDCOIN_VERSION', '0.1.0' );
define( 'GOLDCOIN_PLUGIN_FILE', __FILE__ );
define( 'GOLDCOIN_PLUGIN_DIR', plugin_dir_path( __FILE__ ) );

require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-templates.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-settings.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-check.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-jwt.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-tokens.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-role-grants.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-widget.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-shortcodes.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-bell.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-entitlements.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-premium.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-blocks.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-rest.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-protected-files.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-meta-box.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-ea-versions.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-downloads.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-admin-page.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-users.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-privacy.php';
require_once GOLDCOIN_PLUGIN_DIR . 'includes/class-goldcoin-referrals.php';

register_activation_hook( __FILE__, array( 'Goldcoin_Settings', 'activate' ) );

add_action(
	'plugins_loaded',
	static function () {
		load_plugin_textdomain( 'goldcoin', false, dirname( plugin_basename( GOLDCOIN_PLUGIN_FILE ) ) . '/languages' );
	}
);

Goldcoin_Settings::register();
Goldcoin_Check::register();
Goldcoin_Widget::register();
Goldcoin_Shortcodes::register();
Goldcoin_Bell::register();
Goldcoin_Premium::register();
Goldcoin_Blocks::register();
Goldcoin_Rest::register();
Goldcoin_Meta_Box::register();
Goldcoin_Protected_Files::register();
Goldcoin_Downloads::register();
Goldcoin_Admin_Page::register();
Goldcoin_Users::register();
Goldcoin_Privacy::register();
Goldcoin_Referrals::register();
