<?php
/**
 * Shortcodes that drop the widget into any page: [goldcoin_recharge], [goldcoin_unlock post_id="…"],
 * [goldcoin_wallet], [goldcoin_redeem], [goldcoin_vip], [goldcoin_referral], [goldcoin_licenses]. A visitor who is not logged in gets a login link back to the page.
 * [goldcoin_unlock]…[/goldcoin_unlock] wraps premium content instead (class-goldcoin-premium.php).
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Shortcodes {
	const TAGS = array( 'goldcoin_recharge', 'goldcoin_wallet', 'goldcoin_redeem', 'goldcoin_vip', 'goldcoin_referral', 'goldcoin_licenses', 'goldcoin_unlock', 'goldcoin_bell' );

	public static function register(): void {
		add_shortcode( 'goldcoin_recharge', static fn ( $atts ) => self::render( 'recharge', 0 ) );
		add_shortcode( 'goldcoin_wallet', static fn ( $atts ) => self::render( 'wallet', 0 ) );
		add_shortcode( 'goldcoin_redeem', static fn ( $atts ) => self::render( 'redeem', 0 ) );
		add_shortcode( 'goldcoin_vip', static fn ( $atts ) => self::render( 'vip', 0 ) );
		add_shortcode( 'goldcoin_referral', static fn ( $atts ) => self::render( 'referral', 0 ) );
		add_shortcode( 'goldcoin_licenses', static fn ( $atts ) => self::render( 'licenses', 0 ) );
		add_shortcode( 'goldcoin_unlock', array( __CLASS__, 'unlock' ) );
	}

	public static function unlock( $atts, $content = null ): string {
		// WordPress passes '' as the content of a self-closing shortcode too: only a non-empty enclosure hides something.
		if ( is_string( $content ) && '' !== $content ) {
			return Goldcoin_Premium::shortcode( is_array( $atts ) ? $atts : array(), (string) $content );
		}
		$atts    = shortcode_atts( array( 'post_id' => 0 ), is_array( $atts ) ? $atts : array(), 'goldcoin_unlock' );
		$post_id = absint( $atts['post_id'] );
		if ( 0 === $post_id ) {
			$post_id = (int) get_the_ID();
		}
		// A post without a price is not for sale: nothing to unlock, so nothing to show.
		if ( $post_id <= 0 || (int) get_post_meta( $post_id, Goldcoin_Meta_Box::PRICE_KEY, true ) <= 0 ) {
			return '';
		}
		return self::render( 'unlock', $post_id );
	}

	public static function render( string $view, int $post_id ): string {
		if ( ! is_user_logged_in() ) {
			$back = $post_id > 0 ? get_permalink( $post_id ) : get_permalink();
			return Goldcoin_Templates::html( 'shortcode-login', array( 'login_url' => wp_login_url( $back ? $back : home_url() ), 'view' => $view ) );
		}
		$return  = 'recharge' === $view ? self::recharge_return_url() : '';
		$element = Goldcoin_Widget::element( $view, $post_id, '' === $return ? array() : array( 'return-url' => $return ) );
		return '' === $element ? '' : Goldcoin_Templates::html( 'shortcode', array( 'element' => $element, 'view' => $view ) );
	}

	/**
	 * Where the recharge view's "go to premium content" leads once a recharge is credited: the setting, else the page
	 * named by ?return=, else the page the visitor came from; either of those only on this site (wp_validate_redirect),
	 * and never the recharge page itself. '' when there is none: the view then offers another recharge.
	 */
	public static function recharge_return_url(): string {
		$configured = Goldcoin_Settings::premium_url();
		if ( '' !== $configured ) {
			return $configured;
		}
		$candidates = array();
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a link target, validated below, changes nothing
		if ( isset( $_GET['return'] ) && is_string( $_GET['return'] ) ) {
			$candidates[] = esc_url_raw( wp_unslash( $_GET['return'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		}
		$referer = wp_get_raw_referer();
		if ( false !== $referer ) {
			$candidates[] = $referer;
		}
		$here = untrailingslashit( (string) get_permalink() );
		foreach ( $candidates as $url ) {
			$valid = wp_validate_redirect( $url, '' );
			if ( '' !== $valid && untrailingslashit( strtok( $valid, '#' ) ) !== $here ) {
				return $valid;
			}
		}
		return '';
	}
}
