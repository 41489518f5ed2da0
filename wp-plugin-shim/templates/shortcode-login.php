<?php
/**
 * What a visitor who is not logged in sees instead of the widget. Override in your theme as goldcoin/shortcode-login.php.
 *
 * @var string $login_url the login page, returning to this page
 * @var string $view      recharge, wallet, redeem or unlock
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<p class="goldcoin-login"><a href="<?php echo esc_url( $login_url ); ?>"><?php esc_html_e( 'Log in to use your gold coins', 'goldcoin' ); ?></a></p>
