<?php
/**
 * Gold Coins → Settings. Override in your theme as goldcoin/settings-page.php (keep the field names,
 * settings_fields() and the nonce: saving reads them).
 *
 * @var array  $options          the stored settings merged over the defaults
 * @var string $option_name      the option the form saves into
 * @var string $page             the settings page slug
 * @var bool   $secret_renewed   a new JWT secret was just generated
 * @var bool   $secret_from_site the JWT secret comes from the site configuration
 * @var bool   $secret_is_set    a stored JWT secret exists
 * @var string $protected_dir    where EA files are kept
 * @var bool   $protected_safe   whether that folder is outside the web root
 * @var bool   $protected_fixed  whether GOLDCOIN_PROTECTED_DIR names it
 * @var array|null $check          the result of the Check button just pressed: {ok, checks: [{id, ok, detail, fix}]}
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}
?>
<div class="wrap goldcoin-settings">
	<h1><?php esc_html_e( 'Gold Coins settings', 'goldcoin' ); ?></h1>
	<?php if ( $secret_renewed ) : ?>
		<div class="notice notice-success"><p><?php esc_html_e( 'A new JWT secret was generated. Give the sidecar the same secret.', 'goldcoin' ); ?></p></div>
	<?php endif; ?>
	<?php if ( ! $protected_safe ) : ?>
		<div class="notice notice-warning goldcoin-storage-warning"><p><?php esc_html_e( 'EA files are kept inside the uploads folder because no folder outside the web root is writable. Apache and IIS obey the deny rules written there; nginx and other servers do not and may serve the files to anyone. Set GOLDCOIN_PROTECTED_DIR in wp-config.php to a writable folder outside the web root: files move there on the next page load.', 'goldcoin' ); ?></p></div>
	<?php endif; ?>
	<form method="post" action="options.php">
		<?php settings_fields( $page ); ?>
		<table class="form-table" role="presentation">
			<?php
			Goldcoin_Settings::url_row( 'sidecar_url', 'GOLDCOIN_SIDECAR_URL', __( 'Sidecar URL', 'goldcoin' ), (string) $options['sidecar_url'], __( 'Where the Gold Coins service runs, e.g. https://coins.example.com', 'goldcoin' ) );
			Goldcoin_Settings::url_row( 'widget_url', 'GOLDCOIN_WIDGET_URL', __( 'Widget script URL', 'goldcoin' ), (string) $options['widget_url'], __( 'Leave empty to use the script shipped with the plugin.', 'goldcoin' ) );
			Goldcoin_Settings::url_row( 'premium_url', 'GOLDCOIN_PREMIUM_URL', __( 'Premium content URL', 'goldcoin' ), (string) $options['premium_url'], __( 'Where “Go to premium content” leads once a recharge on the recharge page is credited. Leave empty for the page the visitor came from.', 'goldcoin' ) );
			?>
			<tr>
				<th scope="row"><?php esc_html_e( 'Prices', 'goldcoin' ); ?></th>
				<td><p class="description"><?php esc_html_e( 'Recharge packages, the price of a coin and its currency are set in the sidecar (RECHARGE_PACKAGES, RECHARGE_COIN_PRICE, PRICE_CURRENCY), so the widget and every payment agree.', 'goldcoin' ); ?></p></td>
			</tr>
			<tr>
				<th scope="row"><label for="goldcoin-referral-cookie-days"><?php esc_html_e( 'Referral links', 'goldcoin' ); ?></label></th>
				<td>
					<input id="goldcoin-referral-cookie-days" name="<?php echo esc_attr( $option_name ); ?>[referral_cookie_days]" type="number" min="1" max="<?php echo esc_attr( (string) Goldcoin_Referrals::MAX_DAYS ); ?>" step="1" class="small-text" value="<?php echo esc_attr( (string) $options['referral_cookie_days'] ); ?>" />
					<?php esc_html_e( 'days', 'goldcoin' ); ?>
					<p class="description"><?php esc_html_e( 'How long a visitor who opened a ?ref= link is remembered: registering or logging in within this time binds them to the referrer. Rewards, the minimum first recharge and the cap are set in the catalog (Gold Coins → Payments and coins).', 'goldcoin' ); ?></p>
				</td>
			</tr>
			<tr>
				<th scope="row"><?php esc_html_e( 'Protected EA files', 'goldcoin' ); ?></th>
				<td>
					<code class="goldcoin-path"><?php echo esc_html( $protected_dir ); ?></code>
					<p class="description">
					<?php
					if ( $protected_fixed ) {
						esc_html_e( 'Set by GOLDCOIN_PROTECTED_DIR in the site configuration.', 'goldcoin' );
					} elseif ( $protected_safe ) {
						esc_html_e( 'Outside the web root: no web server can hand these files out, only the signed download link.', 'goldcoin' );
					} else {
						esc_html_e( 'Inside the uploads folder, guarded only by deny rules.', 'goldcoin' );
					}
					?>
					</p>
				</td>
			</tr>
			<tr>
				<th scope="row"><?php esc_html_e( 'Uninstall', 'goldcoin' ); ?></th>
				<td>
					<p><label><input name="<?php echo esc_attr( $option_name ); ?>[delete_data_on_uninstall]" type="checkbox" value="1" <?php checked( ! empty( $options['delete_data_on_uninstall'] ) ); ?> />
					<?php esc_html_e( 'Delete all coin data (balances, ledger, payments) when the plugin is deleted. This cannot be undone.', 'goldcoin' ); ?></label></p>
					<p><label><input name="<?php echo esc_attr( $option_name ); ?>[delete_files_on_uninstall]" type="checkbox" value="1" <?php checked( ! empty( $options['delete_files_on_uninstall'] ) ); ?> />
					<?php esc_html_e( 'Delete the protected EA files when the plugin is deleted. This cannot be undone.', 'goldcoin' ); ?></label></p>
				</td>
			</tr>
		</table>
		<?php submit_button(); ?>
	</form>
	<h2><?php esc_html_e( 'JWT secret', 'goldcoin' ); ?></h2>
	<p>
	<?php
	if ( $secret_from_site ) {
		esc_html_e( 'The secret is set by GOLDCOIN_JWT_SECRET in the site configuration.', 'goldcoin' );
	} elseif ( $secret_is_set ) {
		esc_html_e( 'A secret is set. It is never shown here; the sidecar needs the same value in GOLDCOIN_JWT_SECRET.', 'goldcoin' );
	} else {
		esc_html_e( 'No secret is set yet.', 'goldcoin' );
	}
	?>
	</p>
	<?php if ( ! $secret_from_site ) : ?>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="goldcoin_regenerate_secret" />
			<?php wp_nonce_field( 'goldcoin_regenerate_secret' ); ?>
			<?php submit_button( __( 'Regenerate secret', 'goldcoin' ), 'secondary', 'submit', false ); ?>
		</form>
	<?php endif; ?>
	<h2><?php esc_html_e( 'Check the configuration', 'goldcoin' ); ?></h2>
	<p class="description"><?php esc_html_e( 'Asks the sidecar to check its database and grants, migrations, the JWT secret it shares with this site, CORS, the payment provider\'s keys, the IPN/webhook URL and email, and says how to fix each problem.', 'goldcoin' ); ?></p>
	<?php if ( is_array( $check ) ) : ?>
		<div class="notice <?php echo esc_attr( $check['ok'] ? 'notice-success' : 'notice-error' ); ?> inline goldcoin-check-result">
			<p><strong><?php $check['ok'] ? esc_html_e( 'Everything checked is in order.', 'goldcoin' ) : esc_html_e( 'The check found problems:', 'goldcoin' ); ?></strong></p>
			<ul>
				<?php foreach ( $check['checks'] as $c ) : ?>
					<li class="<?php echo esc_attr( $c['ok'] ? 'goldcoin-check-ok' : 'goldcoin-check-problem' ); ?>" data-check="<?php echo esc_attr( $c['id'] ); ?>">
						<strong><?php echo esc_html( Goldcoin_Check::label( $c['id'] ) ); ?>:</strong>
						<?php $c['ok'] ? esc_html_e( 'OK', 'goldcoin' ) : esc_html_e( 'Problem', 'goldcoin' ); ?> — <?php echo esc_html( $c['detail'] ); ?>
						<?php if ( ! $c['ok'] && '' !== $c['fix'] ) : ?>
							<br /><em><?php esc_html_e( 'Fix:', 'goldcoin' ); ?></em> <?php echo esc_html( $c['fix'] ); ?>
						<?php endif; ?>
					</li>
				<?php endforeach; ?>
			</ul>
		</div>
	<?php endif; ?>
	<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
		<input type="hidden" name="action" value="<?php echo esc_attr( Goldcoin_Check::ACTION ); ?>" />
		<?php wp_nonce_field( Goldcoin_Check::ACTION ); ?>
		<?php submit_button( __( 'Check', 'goldcoin' ), 'secondary', 'goldcoin-check', false ); ?>
	</form>
</div>
